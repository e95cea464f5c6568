import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError } from '../http/errors';
import { trustedPublicBaseUrl } from '../integrations/public-url';
import type { Provider } from '../providers/provider-schema';
import type { ConnectContext } from './connect-context';
import type { ConnectQueryInput } from './connect-query';

/**
 * What a connect flow starts from: the frontend's query merged under the connect session's
 * per-integration defaults. The backend set the defaults, so they win over what the browser sends.
 */

export interface FlowInputs {
  connectionConfig: Record<string, string>;
  /** Replaces the integration's scopes (the session's `oauth_scopes_override`). */
  scopesOverride?: string[];
  userScope?: string;
  /** `undefined` values remove a provider parameter. */
  authorizationParams?: Record<string, string | undefined>;
}

export function flowInputs(ctx: ConnectContext, query: ConnectQueryInput): FlowInputs {
  const defaults = ctx.session.configDefaults[ctx.integration.uniqueKey] ?? {};
  const { oauth_scopes_override: scopesOverride, webhook_url: _webhook, ...configDefaults } = (defaults.connection_config ?? {}) as Record<string, unknown>;
  // `webhook_url` is the backend's to set (connect session webhook_url_override), never the browser's.
  const { webhook_url: _ignored, ...params } = query.params ?? {};
  const connectionConfig: Record<string, string> = { ...params };
  for (const [key, value] of Object.entries(configDefaults)) {
    if (value !== undefined && value !== null) connectionConfig[key] = String(value);
  }
  const authorizationParams = defaults.authorization_params ?? query.authorization_params;
  return {
    connectionConfig: checkConnectionConfig(ctx.integration.provider, connectionConfig),
    scopesOverride: typeof scopesOverride === 'string' ? scopesOverride.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    userScope: defaults.user_scopes ?? query.user_scope,
    authorizationParams: authorizationParams && Object.fromEntries(Object.entries(authorizationParams).map(([k, v]) => [k, v === 'undefined' ? undefined : v])),
  };
}

/**
 * The provider's declared connection_config fields: defaults filled in, required ones present,
 * patterns and enums respected. Fields filled by us (token response, callback) are not asked for.
 */
export function checkConnectionConfig(provider: Provider, config: Record<string, string>): Record<string, string> {
  const out = { ...config };
  const missing: string[] = [];
  for (const [key, field] of Object.entries(provider.connection_config ?? {})) {
    if (field.automated) continue;
    if (out[key] === undefined && field.default_value !== undefined) out[key] = field.default_value;
    const value = out[key];
    if (value === undefined || value === '') {
      if (!field.optional) missing.push(key);
      continue;
    }
    const invalid = (field.pattern && !new RegExp(field.pattern).test(value)) || (field.enum && !field.enum.includes(value));
    if (invalid) throw new ApiError(400, 'invalid_connection_config', `params[${key}] is not a valid ${field.title}`);
  }
  if (missing.length) throw new ApiError(400, 'missing_connection_config', `Missing connection config: ${missing.map((k) => `params[${k}]`).join(', ')}`);
  return out;
}

/**
 * Where providers send the browser back: the environment's `callback_url` (a page of the
 * customer's that forwards to ours) wins, else our own `/oauth/callback` at the trusted base URL,
 * so a forged Host header cannot choose where authorization codes go.
 */
export function oauthCallbackUrl(event: APIGatewayProxyEvent, environmentCallbackUrl: string | null): string {
  return environmentCallbackUrl ?? ownCallbackUrl(event);
}

/** Our own callback path, for the state cookie's Path (also when a customer page forwards to it). */
export function ownCallbackPath(event: APIGatewayProxyEvent): string {
  return new URL(ownCallbackUrl(event)).pathname;
}

function ownCallbackUrl(event: APIGatewayProxyEvent): string {
  return `${trustedPublicBaseUrl(event)}/oauth/callback`;
}

/** `credentials[oauth_client_*_override]`: the end user's own OAuth app; both halves or neither. */
export function clientOverride(query: ConnectQueryInput): { clientId: string; clientSecret: string } | undefined {
  const id = query.credentials?.oauth_client_id_override;
  const secret = query.credentials?.oauth_client_secret_override;
  if (!id && !secret) return undefined;
  if (!id || !secret) throw new ApiError(400, 'invalid_query_params', 'credentials[oauth_client_id_override] and credentials[oauth_client_secret_override] go together');
  return { clientId: id, clientSecret: secret };
}
