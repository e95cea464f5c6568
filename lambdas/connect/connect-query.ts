import * as z from 'zod';
import { ConnectSessionTokenSchema } from '../connect-sessions/connect-session-schema';
import { IntegrationKeySchema } from '../integrations/integration-schema';

/**
 * The query string the frontend SDK appends to every connect-flow call (docs/nango-wire.md §3.3),
 * parsed qs-style (`params[subdomain]=acme` → `{params:{subdomain:'acme'}}`). Only connect session
 * tokens authenticate here: public keys and their legacy `hmac` belong to an auth model we do not
 * offer, and `connection_id` is the server's to choose (a UUID v4, or the reconnected one).
 */

const MAX_ENTRIES = 50;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text an end user sends: no NUL and no lone surrogate (neither can be stored or signed), checked
 * here so a flow refuses them before any provider is called. `printable` also refuses the other
 * control characters, for values that end up in URLs and headers.
 */
export const EndUserText = (max: number, printable = false) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\0') && !LONE_SURROGATE.test(value), 'Must not contain NUL or unpaired surrogate characters')
    .refine((value) => !printable || !/[\x00-\x1f\x7f]/.test(value), 'Must not contain control characters');

const Key = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'Keys are 1-64 letters, digits, _ . -');
const Value = EndUserText(2048, true);
const StringMap = z.record(Key, Value).refine((map) => Object.keys(map).length <= MAX_ENTRIES, `At most ${MAX_ENTRIES} entries`);

export const PckParams = z.object({ providerConfigKey: IntegrationKeySchema }).strict();

export const ConnectQuery = z
  .object({
    connect_session_token: ConnectSessionTokenSchema,
    /** The frontend's WebSocket client, kept for the browser relay. */
    ws_client_id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'ws_client_id must be 1-128 letters, digits, _ or -').optional(),
    /** Connection config (interpolation values such as a subdomain). */
    params: StringMap.optional(),
    /** Extra authorization parameters; the literal `undefined` removes one (as in Nango). */
    authorization_params: StringMap.optional(),
    /** Slack's user-token scopes. */
    user_scope: Value.optional(),
    credentials: z
      .object({
        oauth_client_id_override: EndUserText(1024, true).pipe(z.string().min(1)).optional(),
        oauth_client_secret_override: EndUserText(4096, true).pipe(z.string().min(1)).optional(),
        oauth_refresh_token_override: EndUserText(16_384, true).pipe(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    connection_id: z.never({ error: 'connection_id cannot be chosen with a connect session token: the server assigns it' }).optional(),
    public_key: z.never({ error: 'Public keys are not supported: authenticate with a connect session token' }).optional(),
    hmac: z.never({ error: 'hmac belongs to public-key auth, which is not supported' }).optional(),
  })
  .strict();

export type ConnectQueryInput = z.output<typeof ConnectQuery>;

/** `POST /api-auth/api-key/:pck`. */
export const ApiKeyBody = z.object({ apiKey: EndUserText(1024, true).pipe(z.string().min(1)) }).strict();

/** `POST /api-auth/basic/:pck`: both required, either may be empty (as Nango). */
export const BasicBody = z.object({ username: EndUserText(1024, true), password: EndUserText(16_384) }).strict();

/** `POST /oauth2/auth/:pck`: the end user's own client, for the client credentials grant. */
export const ClientCredentialsBody = z
  .object({
    client_id: EndUserText(1024, true).pipe(z.string().min(1)),
    client_secret: EndUserText(4096, true).pipe(z.string().min(1)).optional(),
    client_certificate: z.never({ error: 'Mutual-TLS client certificates are not supported' }).optional(),
    client_private_key: z.never({ error: 'Mutual-TLS client keys are not supported' }).optional(),
  })
  .strict();
