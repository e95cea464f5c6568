import * as z from 'zod';

const positiveInt = z.coerce.number<string>().int().positive();

/**
 * Settings every function reads from its environment; the CDK stack and `npm start` set the same
 * names. Nothing in lambdas/ reads process.env except through here.
 */
export const EnvSchema = z.object({
  LATCHKEY_DB_CLUSTER_ARN: z.string().min(11),
  LATCHKEY_DB_SECRET_ARN: z.string().min(11),
  LATCHKEY_DB_NAME: z.string().min(1).default('latchkey'),
  LATCHKEY_STAGE: z.string().min(1).default('local'),
  LATCHKEY_KMS_KEY_ID: z.string().min(1),
  LATCHKEY_EVENT_BUS_NAME: z.string().min(1).default('default'),
  /** Requests per minute per secret key or session, per running function. */
  LATCHKEY_RATE_LIMIT_PER_MINUTE: positiveInt.default(3_000),
  /** The API's public base URL (a custom domain); OAuth redirect URIs hang off it. */
  LATCHKEY_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Where the connect function finds the built Connect UI (lib/connect-ui.ts); default: `connect-ui` beside its bundle. */
  LATCHKEY_CONNECT_UI_DIR: z.string().min(1).optional(),
  /** `true` only under `npm start` and the tests: webhooks may then use plain HTTP to loopback. */
  LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  LATCHKEY_AUDIT_RETENTION_DAYS: positiveInt.default(365),
  LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS: positiveInt.default(30),
  /** The NAT gateways' addresses, comma-separated (served by GET /meta/egress-ips). */
  LATCHKEY_EGRESS_IPS: z.string().default(''),
  /** The browser relay's management endpoint (the WebSocket stage's callback URL); unset: no relay. */
  LATCHKEY_WEBSOCKET_CALLBACK_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** What a frontend passes as `websocketsPath` (the deployed WebSocket URL); unset: `/`, the REST host itself. */
  LATCHKEY_WEBSOCKET_URL: z.url({ protocol: /^wss?$/ }).optional(),
});
export type Env = z.output<typeof EnvSchema>;

let cachedEnv: Env | undefined;

/** Every setting, checked together on first use: a bad or missing variable fails with its name. */
export function env(): Env {
  cachedEnv ??= parsed(EnvSchema.safeParse(process.env));
  return cachedEnv;
}

/**
 * One setting, read from the environment now (tests and `npm start` change some at run time),
 * checked by the same schema.
 */
export function setting<K extends keyof Env>(name: K): Env[K] {
  const result = EnvSchema.shape[name].safeParse(process.env[name]) as z.ZodSafeParseResult<Env[K]>;
  return parsed(result, name);
}

function parsed<T>(result: z.ZodSafeParseResult<T>, name?: string): T {
  if (result.success) return result.data;
  // Names and rules only: a value may be a secret.
  const problems = result.error.issues.map((issue) => `${[name, ...issue.path].filter((p) => p !== undefined).join('.')}: ${issue.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}
