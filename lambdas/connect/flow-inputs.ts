import { matchesFormat } from '../providers/field-format';
import { assertHostChoice, HostChoiceError } from '../providers/host-choice';
import { InterpolationError } from '../providers/interpolation';
import type { Provider } from '../providers/provider-schema';
import type { ConnectContext } from './connect-facts';
import type { ConnectQueryInput } from './connect-query';
import { ConnectError } from './errors';

/**
 * What a connect flow starts from: the frontend's query merged under the connect session's
 * per-integration defaults. The backend set the defaults, so they win over what the browser sends.
 * The end user may set only the provider's declared, non-automated connection config fields, may
 * choose a host only within the integration's allowed_hosts, and may not touch the parameters that
 * decide what is granted (scopes, response type and mode).
 */

export interface FlowInputs {
  connectionConfig: Record<string, string>;
  /** Keys of connectionConfig whose value the end user gave (no backend default replaced it). */
  endUserKeys: string[];
  /** Replaces the integration's scopes (the session's `oauth_scopes_override`). */
  scopesOverride?: string[];
  userScope?: string;
  /** `undefined` values remove a provider parameter. */
  authorizationParams?: Record<string, string | undefined>;
}

/** Authorization parameters only the backend (connect session defaults) may set: they decide what is granted and how. */
export const BACKEND_ONLY_AUTHORIZATION_PARAMS = ['scope', 'user_scope', 'response_type', 'response_mode'] as const;

export function flowInputs(ctx: ConnectContext, query: ConnectQueryInput): FlowInputs {
  const { provider } = ctx.integration;
  const defaults = ctx.session.configDefaults[ctx.integration.uniqueKey] ?? {};
  const { oauth_scopes_override: scopesOverride, webhook_url: _webhook, ...configDefaults } = (defaults.connection_config ?? {}) as Record<string, unknown>;
  const params = query.params ?? {};
  for (const key of Object.keys(params)) {
    const field = provider.connection_config && Object.hasOwn(provider.connection_config, key) ? provider.connection_config[key] : undefined;
    // `webhook_url` is the backend's to set (connect session webhook_url_override), never the browser's.
    if (!field || field.automated || key === 'webhook_url') {
      throw new ConnectError('invalid_connection_config', `params[${key}] is not a connection config field the end user can set`);
    }
  }
  const connectionConfig: Record<string, string> = { ...params };
  const fromBackend = new Set<string>();
  for (const [key, value] of Object.entries(configDefaults)) {
    if (value === undefined || value === null) continue;
    connectionConfig[key] = String(value);
    fromBackend.add(key);
  }
  const endUserKeys = Object.keys(params).filter((key) => !fromBackend.has(key) && params[key] !== '');

  if (!defaults.authorization_params) {
    const protectedKey = Object.keys(query.authorization_params ?? {}).find((key) => (BACKEND_ONLY_AUTHORIZATION_PARAMS as readonly string[]).includes(key));
    if (protectedKey) {
      throw new ConnectError('invalid_query_params', `authorization_params[${protectedKey}] can only be set by the backend (connect session integrations_config_defaults)`);
    }
  }
  if (query.user_scope !== undefined && defaults.user_scopes === undefined) {
    throw new ConnectError('invalid_query_params', 'user_scope can only be set by the backend (connect session integrations_config_defaults user_scopes)');
  }
  const authorizationParams = defaults.authorization_params ?? query.authorization_params;
  const checked = checkConnectionConfig(provider, connectionConfig);
  checkHostChoice(ctx, checked, endUserKeys);
  return {
    connectionConfig: checked,
    endUserKeys,
    scopesOverride: typeof scopesOverride === 'string' ? scopesOverride.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
    userScope: defaults.user_scopes,
    authorizationParams: authorizationParams && Object.fromEntries(Object.entries(authorizationParams).map(([k, v]) => [k, v === 'undefined' ? undefined : v])),
  };
}

/** The host rule (providers/host-choice.ts) in the connect flows' terms: a refusal before any request or redirect. */
export function checkHostChoice(ctx: ConnectContext, connectionConfig: Record<string, unknown>, endUserKeys: readonly string[]): void {
  try {
    assertHostChoice({ provider: ctx.integration.provider, connectionConfig, endUserKeys, allowedHosts: ctx.integration.allowedHosts });
  } catch (err) {
    if (err instanceof HostChoiceError) throw new ConnectError('host_not_allowed', err.message);
    if (err instanceof InterpolationError) throw new ConnectError('invalid_connection_config', err.message);
    throw err;
  }
}

/**
 * The provider's declared connection_config fields: defaults filled in, required ones present,
 * patterns, enums and formats respected. Fields filled by us (token response, callback) are not asked for.
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
    const invalid =
      (field.pattern && !new RegExp(field.pattern).test(value)) ||
      (field.enum && !field.enum.includes(value)) ||
      !matchesFormat(field.format, value, provider.allow_private_network);
    if (invalid) throw new ConnectError('invalid_connection_config', `params[${key}] is not a valid ${field.title}`);
  }
  if (missing.length) throw new ConnectError('missing_connection_config', `Missing connection config: ${missing.map((k) => `params[${k}]`).join(', ')}`);
  return out;
}

/** `credentials[oauth_client_*_override]`: the end user's own OAuth app; both halves or neither. */
export function clientOverride(query: ConnectQueryInput): { clientId: string; clientSecret: string } | undefined {
  const id = query.credentials?.oauth_client_id_override;
  const secret = query.credentials?.oauth_client_secret_override;
  if (!id && !secret) return undefined;
  if (!id || !secret) throw new ConnectError('invalid_query_params', 'credentials[oauth_client_id_override] and credentials[oauth_client_secret_override] go together');
  return { clientId: id, clientSecret: secret };
}
