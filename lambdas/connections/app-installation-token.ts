import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { logger } from '../platform/observability/logger';
import { InterpolationError, interpolateUrl } from '../providers/interpolation';
import { providerRequest, ProviderHttpError, type ProviderResponse } from '../platform/net/provider-http';
import type { ResolvedProvider } from '../providers/provider-registry';
import type { Provider } from '../providers/provider-schema';
import type { AppCredentials } from './credentials';
import { AppTokenError } from './errors';

/**
 * GitHub App installation tokens: we sign a short-lived JWT as the app (RS256, with the
 * integration's private key) and exchange it at the provider's APP token URL for a token of one
 * installation. Neither the key, the JWT nor the token ever appears in an error or a log line.
 *
 * Failures are AppTokenErrors (errors.ts): `app_config` (the caller's configuration), `app_refused`
 * (the provider does not accept the app), `app_unavailable` (not the caller's fault; worth retrying).
 */

/** GitHub accepts at most 10 minutes; iat is backdated for clock drift, as GitHub recommends. */
const JWT_BACKDATE_S = 60;
const JWT_LIFETIME_S = 9 * 60;
const GITHUB_API_VERSION = '2022-11-28';

/** Parses the integration's PEM; anything but an RSA private key is refused without quoting it. */
export function loadAppPrivateKey(pem: string | undefined): KeyObject {
  const unusable = () => new AppTokenError('app_config', "The integration's private key is missing or unusable; update the integration with the GitHub App's PEM private key");
  if (!pem) throw unusable();
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw unusable();
  }
  if (key.asymmetricKeyType !== 'rsa') throw unusable();
  return key;
}

/** A JWT authenticating as the app: `iss` = app id, valid from now − 60 s to now + 9 min. */
export function signAppJwt(appId: string, key: KeyObject, now: Date): string {
  const seconds = Math.floor(now.getTime() / 1000);
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ iat: seconds - JWT_BACKDATE_S, exp: seconds + JWT_LIFETIME_S, iss: appId }));
  const signature = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}

/** The URL template installation tokens come from: `token_url` (APP) or `token_url.APP` (CUSTOM). */
export function appTokenUrlTemplate(provider: Provider): string | undefined {
  const tokenUrl = provider.token_url;
  if (typeof tokenUrl === 'string') return provider.auth_mode === 'APP' ? tokenUrl : undefined;
  return tokenUrl?.APP;
}

export interface InstallationTokenRequest {
  provider: ResolvedProvider;
  /** The app the key belongs to: the JWT's issuer. */
  appId: string;
  /** The integration's PEM private key (decrypted). */
  privateKey: string | undefined;
  /** Fills the token URL template; must hold `installation_id`. */
  connectionConfig: Record<string, unknown>;
  now: Date;
  timeoutMs?: number;
}

export interface InstallationToken {
  credentials: AppCredentials;
  expiresAt: Date;
}

export async function fetchInstallationToken(request: InstallationTokenRequest): Promise<InstallationToken> {
  const { provider, now } = request;
  // Without an app id GitHub would only refuse the token, which reads as the app being uninstalled.
  if (!request.appId) throw new AppTokenError('app_config', "The connection has no app_id; it is the GitHub App's id, set when the app is installed");
  const key = loadAppPrivateKey(request.privateKey);
  const template = appTokenUrlTemplate(provider.provider);
  if (!template) throw new AppTokenError('app_config', `Provider ${provider.name} has no APP token URL`);
  // Only custom providers can opt in to private networks (and with it, plain http).
  const privateNetwork = provider.custom && provider.provider.allow_private_network;
  let url: string;
  try {
    url = interpolateUrl(template, { connectionConfig: request.connectionConfig }, { allowHttp: privateNetwork });
  } catch (err) {
    if (err instanceof InterpolationError) throw new AppTokenError('app_config', `Cannot build the installation token URL: ${err.message}`);
    throw err;
  }

  const jwt = signAppJwt(request.appId, key, now);
  let response: ProviderResponse;
  try {
    response = await providerRequest({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': GITHUB_API_VERSION },
      allowPrivateNetwork: privateNetwork,
      allowHttp: privateNetwork,
      timeoutMs: request.timeoutMs,
    });
  } catch (err) {
    if (!(err instanceof ProviderHttpError)) throw err;
    logger.warn('Installation token request failed', { provider: provider.name, reason: err.reason, code: err.code });
    if (err.reason === 'blocked') throw new AppTokenError('app_config', `The installation token URL is not allowed: ${err.message}`);
    throw new AppTokenError('app_unavailable', `The provider could not be reached for an installation token (${err.reason})`);
  }
  return parseTokenResponse(provider.name, response);
}

function parseTokenResponse(providerName: string, response: ProviderResponse): InstallationToken {
  const { status } = response;
  if (status >= 400 && status < 500) {
    logger.warn('Installation token request refused', { provider: providerName, status });
    throw new AppTokenError('app_refused', `The provider refused the installation token request (HTTP ${status})`);
  }
  if (status < 200 || status >= 300) {
    logger.warn('Installation token request failed', { provider: providerName, status });
    throw new AppTokenError('app_unavailable', `The provider answered the installation token request with HTTP ${status}`);
  }
  let raw: unknown;
  try {
    raw = response.json();
  } catch {
    raw = undefined;
  }
  const body = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  const token = body?.token;
  const expiresAt = typeof body?.expires_at === 'string' ? new Date(body.expires_at) : undefined;
  if (!body || typeof token !== 'string' || token === '' || !expiresAt || Number.isNaN(expiresAt.getTime())) {
    logger.warn('Installation token response unusable', { provider: providerName, status });
    throw new AppTokenError('app_unavailable', 'The provider answered the installation token request without a token and expiry');
  }
  return { credentials: { type: 'APP', access_token: token, expires_at: expiresAt.toISOString(), raw: body }, expiresAt };
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
