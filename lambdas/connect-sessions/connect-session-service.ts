import type { AuditBase } from '../audit/audit-event';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import { newConnectSessionToken } from '../platform/crypto/connect-session-token';
import type { SqlExecutor } from '../platform/db/data-api';
import { tagsFromEndUser, toApiEndUser } from '../end-users/end-user-store';
import type { ApiEndUser } from '../end-users/end-user-schema';
import { WebhookUrlOverrideSchema } from '../environments/environment-schema';
import type { FieldIssue } from '../platform/domain-error';
import { CONNECT_SESSION_TTL_MS, type ConfigDefaults, type CreateSessionInput, type ReconnectSessionInput } from './connect-session-schema';
import { insertConnectSession, type ConnectSessionRow } from './connect-session-store';
import { ConnectSessionError } from './errors';

export interface CreatedSession {
  token: string;
  expiresAt: Date;
}

interface Context {
  environmentId: string;
  now: Date;
  audit?: AuditBase;
}

/** POST /connect/sessions: one statement; the token exists only in the reply. */
export async function createConnectSession(db: SqlExecutor, hasher: SecretHasher, ctx: Context, body: CreateSessionInput): Promise<CreatedSession> {
  const required: NamedKey[] = (body.allowed_integrations ?? []).map((key, i) => ({ key, path: ['allowed_integrations', String(i)] }));
  return create(db, hasher, ctx, body, required, body.allowed_integrations ? [...new Set(body.allowed_integrations)] : null);
}

/** POST /connect/sessions/reconnect: the session is tied to one live connection of one integration. */
export async function createReconnectSession(db: SqlExecutor, hasher: SecretHasher, ctx: Context, body: ReconnectSessionInput): Promise<CreatedSession> {
  return create(db, hasher, ctx, body, [], [body.integration_id], { connectionId: body.connection_id, integrationKey: body.integration_id });
}

interface NamedKey {
  key: string;
  path: string[];
}

async function create(
  db: SqlExecutor,
  hasher: SecretHasher,
  ctx: Context,
  body: Omit<CreateSessionInput, 'allowed_integrations'>,
  required: NamedKey[],
  allowed: string[] | null,
  reconnect?: { connectionId: string; integrationKey: string },
): Promise<CreatedSession> {
  const { configDefaults, hoistedWebhookUrl } = hoistWebhookUrls(body.integrations_config_defaults ?? {});
  const named = [
    ...required,
    ...Object.keys(configDefaults).map((key) => ({ key, path: ['integrations_config_defaults', key] })),
    ...Object.keys(body.overrides ?? {}).map((key) => ({ key, path: ['overrides', key] })),
  ];
  const webhookUrl = body.webhook_url_override ?? hoistedWebhookUrl;
  const token = newConnectSessionToken();
  const expiresAt = new Date(ctx.now.getTime() + CONNECT_SESSION_TTL_MS);
  const result = await insertConnectSession(db, {
    audit: ctx.audit && {
      ...ctx.audit,
      action: 'connect_session.create',
      targetType: 'connect_session',
      targetId: null,
      detail: { reconnect: reconnect !== undefined, allowed_integrations: allowed, end_user_id: body.end_user?.id ?? null },
    },
    environmentId: ctx.environmentId,
    tokenHash: hasher.hash(token),
    expiresAt,
    endUser: body.end_user,
    organization: body.organization,
    allowedIntegrations: allowed,
    configDefaults,
    overrides: body.overrides ?? {},
    webhookUrlOverride: webhookUrl ? webhookUrl : null,
    // Explicit tags win over those generated from the end user.
    tags: tagsFromEndUser(body.end_user, body.organization, body.tags ?? {}),
    requiredIntegrations: named.map((n) => n.key),
    reconnect,
  });
  if (result.kind === 'missing_integrations') {
    const missing = new Set(result.keys);
    const issues: FieldIssue[] = named.filter((n) => missing.has(n.key)).map((n) => ({ code: 'custom', message: 'Integration does not exist', path: n.path }));
    throw new ConnectSessionError('unknown_integrations', 'Integration does not exist', issues);
  }
  if (result.kind === 'unknown_connection') throw new ConnectSessionError('unknown_connection', 'ConnectionID or IntegrationId does not exists');
  return { token, expiresAt };
}

/**
 * `connection_config.webhook_url` is Nango's deprecated spelling of `webhook_url_override`: it is
 * taken out of the connection config and used when the top-level field is absent.
 */
function hoistWebhookUrls(defaults: ConfigDefaults): { configDefaults: ConfigDefaults; hoistedWebhookUrl: string | undefined } {
  let hoistedWebhookUrl: string | undefined;
  const configDefaults: ConfigDefaults = {};
  for (const [key, value] of Object.entries(defaults)) {
    const config = value.connection_config;
    if (config && 'webhook_url' in config) {
      const { webhook_url: url, ...rest } = config;
      const parsed = WebhookUrlOverrideSchema.safeParse(url);
      if (!parsed.success) {
        const path = ['integrations_config_defaults', key, 'connection_config', 'webhook_url'];
        throw new ConnectSessionError('invalid_webhook_url', 'Invalid request body', [{ code: 'invalid_format', message: 'Must be an http(s) URL', path }]);
      }
      hoistedWebhookUrl ??= parsed.data;
      configDefaults[key] = { ...value, connection_config: rest };
    } else {
      configDefaults[key] = value;
    }
  }
  return { configDefaults, hoistedWebhookUrl };
}

/** The Connect UI's look; ours, not Nango's (no watermark). */
export const CONNECT_UI_SETTINGS = {
  theme: { light: { primary: '#2563EB' }, dark: { primary: '#60A5FA' } },
  defaultTheme: 'system',
  showWatermark: false,
} as const;

export interface ApiConnectSession {
  endUser: ApiEndUser | null;
  connectUISettings: typeof CONNECT_UI_SETTINGS;
  allowed_integrations?: string[];
  integrations_config_defaults?: Record<string, unknown>;
  overrides?: Record<string, unknown>;
  isReconnecting?: true;
  websocketsPath: string;
}

/**
 * GET /connect/session's `data`, in Nango's shape (optional fields only when set). `websocketsPath`
 * is where the frontend SDK opens its socket: the deployed WebSocket API's URL, or `/` (the host).
 */
export function toApiConnectSession(row: ConnectSessionRow, websocketsPath = '/'): ApiConnectSession {
  const out: ApiConnectSession = { endUser: toApiEndUser(row.end_user), connectUISettings: CONNECT_UI_SETTINGS, websocketsPath };
  if (row.allowed_integrations) out.allowed_integrations = row.allowed_integrations;
  if (Object.keys(row.integrations_config_defaults).length) out.integrations_config_defaults = row.integrations_config_defaults;
  if (Object.keys(row.overrides).length) out.overrides = row.overrides;
  if (row.connection_id) out.isReconnecting = true;
  return out;
}
