import * as z from 'zod';
import { ConnectionIdSchema } from '../connections/connection-schema';
import { IntegrationKeySchema } from '../integrations/integration-schema';
import { PROXY_MAX_RETRIES } from './proxy-limits';

/**
 * The proxy's control headers (Nango's, §2.4 of the wire reference, plus two of ours), validated
 * once. Header names are compared lower-case.
 */

const Flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const ProxyHeadersSchema = z.object({
  'connection-id': ConnectionIdSchema,
  'provider-config-key': IntegrationKeySchema,
  /** The SDK always sends it, `''` when unset. */
  'base-url-override': z
    .string()
    .max(2048)
    .optional()
    .transform((v) => (v ? v : undefined)),
  retries: z.coerce.number<string>().int().min(0).max(PROXY_MAX_RETRIES).default(0),
  /** `"429,503"`: statuses retried besides 5xx and 429. */
  'retry-on': z
    .string()
    .max(200)
    .optional()
    .transform((v, ctx) => {
      const statuses = (v ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
        .map(Number);
      if (statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599)) {
        ctx.addIssue({ code: 'custom', message: 'A comma-separated list of HTTP statuses (100-599)' });
        return z.NEVER;
      }
      return statuses;
    }),
  decompress: Flag.optional(),
  /** Custom headers (not credentials) go along on a redirect to another origin too. */
  'forward-headers-on-redirect': Flag.optional(),
  /** Ours: follow redirects (credentials only to the same origin); by default a 3xx is answered as is. */
  'follow-redirects': Flag.optional(),
  /** Ours: POST and PATCH may be retried too (they are also when the call carries an Idempotency-Key). */
  'retry-non-idempotent': Flag.optional(),
});

export type ProxyHeaders = z.output<typeof ProxyHeadersSchema>;

/** What the OpenAPI document shows of them (all strings on the wire). */
export const ProxyHeadersDocumented = z.object({
  'connection-id': z.string(),
  'provider-config-key': z.string(),
  'base-url-override': z.string().optional(),
  retries: z.string().optional(),
  'retry-on': z.string().optional(),
  decompress: z.string().optional(),
  'forward-headers-on-redirect': z.string().optional(),
  'follow-redirects': z.string().optional(),
  'retry-non-idempotent': z.string().optional(),
});

export type ProxyMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
