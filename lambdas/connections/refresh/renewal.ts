import { clientCredentials, refreshTokens, type TokenProvider, type TokenRequestContext } from '../../oauth/token-client';
import { mergeRefreshed, type OAuth2Credentials, type ParsedTokenResponse } from '../../oauth/token-response';
import type { Provider } from '../../providers/provider-schema';
import { fetchInstallationToken } from '../app-installation-token';
import { AppTokenError } from '../errors';
import type { StoredCredentials } from '../credentials';
import type { RefreshFailureKind } from './refresh-policy';

/**
 * How each kind of expiring credentials is renewed, for the single-flight coordinator:
 *  - OAUTH2 with a refresh token: the refresh_token grant (a rotated refresh token replaces the old
 *    one, an answer without one keeps it);
 *  - OAUTH2_CC: the client credentials grant again, with the connection's own client;
 *  - APP (GitHub App installations): a new installation token, signed with the integration's key.
 * Anything else cannot be renewed by us.
 */

/** Performs the refresh_token grant; injectable for tests. Default: the token client's refreshTokens. */
export type RefreshFunction = (refreshToken: string, context: TokenRequestContext) => Promise<ParsedTokenResponse<OAuth2Credentials>>;

export const defaultRefresh: RefreshFunction = (refreshToken, context) => refreshTokens({ ...context, refreshToken });

/** The integration's side of a renewal: its OAuth client, its app key, its scopes. */
export interface IntegrationSecretsForRenewal {
  client_id: string;
  client_secret: string;
  private_key?: string;
  scopes?: readonly string[];
}

export interface RenewalContext {
  provider: TokenProvider & { name?: string; custom?: boolean };
  integration: IntegrationSecretsForRenewal;
  connectionConfig: Record<string, unknown>;
  now: Date;
  timeoutMs: number;
  refresh?: RefreshFunction;
}

export interface Renewed {
  credentials: StoredCredentials;
  /** token_response_metadata of the answer, merged into connection_config. */
  connectionConfig: Record<string, unknown>;
  /** OAUTH2 only: the provider rotated the refresh token. */
  rotated: boolean;
}

export type RenewableCredentials = Extract<StoredCredentials, { type: 'OAUTH2' | 'OAUTH2_CC' | 'APP' }>;

export function isRenewable(credentials: StoredCredentials | Record<string, never>): credentials is RenewableCredentials {
  if (!('type' in credentials)) return false;
  if (credentials.type === 'OAUTH2') return Boolean(credentials.refresh_token);
  return credentials.type === 'OAUTH2_CC' || credentials.type === 'APP';
}

export async function renew(old: RenewableCredentials, ctx: RenewalContext): Promise<Renewed> {
  const tokenContext = { provider: ctx.provider, connectionConfig: ctx.connectionConfig, now: ctx.now, timeoutMs: ctx.timeoutMs };
  switch (old.type) {
    case 'OAUTH2': {
      const client = {
        client_id: old.config_override?.client_id || ctx.integration.client_id,
        client_secret: old.config_override?.client_secret || ctx.integration.client_secret,
      };
      const fresh = await (ctx.refresh ?? defaultRefresh)(old.refresh_token!, { ...tokenContext, client });
      const rotated = Boolean(fresh.credentials.refresh_token) && fresh.credentials.refresh_token !== old.refresh_token;
      return { credentials: mergeRefreshed(old, fresh.credentials), connectionConfig: fresh.connectionConfig, rotated };
    }
    case 'OAUTH2_CC': {
      const fresh = await clientCredentials({ ...tokenContext, client: { client_id: old.client_id, client_secret: old.client_secret }, scopes: ctx.integration.scopes });
      // An imported client certificate and key are the connection's, not the token answer's: kept.
      const { client_certificate, client_private_key } = old;
      return { credentials: { ...fresh.credentials, ...(client_certificate && { client_certificate }), ...(client_private_key && { client_private_key }) }, connectionConfig: fresh.connectionConfig, rotated: false };
    }
    case 'APP': {
      const token = await fetchInstallationToken({
        provider: { name: ctx.provider.name ?? 'github-app', provider: ctx.provider as Provider, custom: ctx.provider.custom === true },
        appId: String(ctx.connectionConfig.app_id ?? ''),
        privateKey: ctx.integration.private_key,
        connectionConfig: ctx.connectionConfig,
        now: ctx.now,
        timeoutMs: ctx.timeoutMs,
      });
      return { credentials: token.credentials, connectionConfig: {}, rotated: false };
    }
  }
}

/**
 * An installation-token refusal in refresh terms: GitHub refusing the app (uninstalled, suspended,
 * wrong key) cannot heal by retrying; an unreachable or odd answer may.
 */
export function appFailureKind(err: AppTokenError): RefreshFailureKind {
  if (err.reason === 'app_refused') return 'invalid_grant';
  if (err.reason === 'app_config') return 'config';
  return 'server';
}
