import * as z from 'zod';
import { ConnectionIdSchema } from '../connections/connection-schema';
import { WebhookUrlOverrideSchema } from '../environments/environment-schema';
import { EndUserInputSchema, OrganizationSchema, TagsSchema } from '../end-users/end-user-schema';
import { IntegrationKeySchema } from '../integrations/integration-schema';
import { isConnectSessionToken } from '../platform/crypto/connect-session-token';
import { capped, STORED_DOCUMENT_LIMITS } from '../platform/db/stored-document';

/** A connect session token as handed out (`nango_connect_session_` and 64 hex digits). */
export const ConnectSessionTokenSchema = z.string().refine(isConnectSessionToken, 'Must be a connect session token (nango_connect_session_…)');

/** Session TTL, as Nango's CONNECT_SESSION_TTL_MS. */
export const CONNECT_SESSION_TTL_MS = 30 * 60 * 1000;

const MAX_INTEGRATIONS = 100;
const boundedRecord = <T extends z.ZodType>(value: T) =>
  z.record(IntegrationKeySchema, value).refine((map) => Object.keys(map).length <= MAX_INTEGRATIONS, `At most ${MAX_INTEGRATIONS} integrations`);

/** `overrides.*.docs_connect`: a link our Connect UI shows. */
const HttpUrl = z.url({ protocol: /^https?$/, error: 'Must be an http(s) URL' }).max(2048);

/** Per integration: what the Connect UI starts the auth flow with. */
const ConfigDefault = z
  .object({
    /** Slack's user_scope. */
    user_scopes: z.string().max(2048).optional(),
    /** Replaces authorization_params sent by the frontend. */
    authorization_params: z.record(z.string().min(1).max(255), z.string().max(2048)).optional(),
    /** Merged into the connection's connection_config; `webhook_url` inside is Nango's deprecated spelling of webhook_url_override. */
    connection_config: z.object({ oauth_scopes_override: z.string().max(2048).optional() }).catchall(z.unknown()).optional(),
  })
  .strict();

const Override = z.object({ docs_connect: HttpUrl.optional() }).strict();

const sessionFields = {
  organization: OrganizationSchema.optional(),
  integrations_config_defaults: capped(boundedRecord(ConfigDefault), STORED_DOCUMENT_LIMITS.sessionConfigDefaults).optional(),
  overrides: boundedRecord(Override).optional(),
  /** '' means "no override" (the environment's webhook URLs). */
  webhook_url_override: WebhookUrlOverrideSchema.optional(),
  tags: TagsSchema.optional(),
};

/** POST /connect/sessions: `end_user` is required unless top-level `tags` are given. */
export const CreateSessionBody = z
  .object({
    end_user: EndUserInputSchema.optional(),
    allowed_integrations: z.array(IntegrationKeySchema).max(MAX_INTEGRATIONS).optional(),
    ...sessionFields,
  })
  .strict()
  .superRefine((body, ctx) => {
    if (!body.end_user && !body.tags) ctx.addIssue({ code: 'custom', message: 'end_user is required unless tags are given', path: ['end_user'] });
  });

/** POST /connect/sessions/reconnect. */
export const ReconnectSessionBody = z
  .object({
    connection_id: ConnectionIdSchema,
    integration_id: IntegrationKeySchema,
    end_user: EndUserInputSchema.optional(),
    ...sessionFields,
  })
  .strict();

export type CreateSessionInput = z.output<typeof CreateSessionBody>;
export type ReconnectSessionInput = z.output<typeof ReconnectSessionBody>;
export type ConfigDefaults = NonNullable<CreateSessionInput['integrations_config_defaults']>;
