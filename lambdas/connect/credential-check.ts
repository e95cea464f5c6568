import { interpolate, interpolateUrl, InterpolationError, type InterpolationValues } from '../providers/interpolation';
import { providerRequest, ProviderHttpError } from '../platform/net/provider-http';
import type { Provider } from '../providers/provider-schema';
import { ConnectError } from './errors';

/**
 * Tests API-key and basic-auth credentials against the provider's verification endpoint
 * (`proxy.verification`) before anything is stored, so an end user learns about a typo at once
 * rather than from the first failed sync. Providers without one are taken on trust, as in Nango.
 * Messages say what happened (status, timeout) and never echo a credential or the provider's body.
 */

export type CheckedCredentials = { type: 'API_KEY'; apiKey: string } | { type: 'BASIC'; username: string; password: string };

export const VERIFICATION_TIMEOUT_MS = 10_000;

export async function verifyCredentials(provider: Provider, credentials: CheckedCredentials, connectionConfig: Record<string, unknown>, timeoutMs = VERIFICATION_TIMEOUT_MS): Promise<'verified' | 'unverifiable'> {
  const verification = provider.proxy?.verification;
  if (!provider.proxy || !verification) return 'unverifiable';
  const values: InterpolationValues = {
    connectionConfig,
    credentials,
    ...(credentials.type === 'API_KEY' ? { apiKey: credentials.apiKey } : { username: credentials.username, password: credentials.password }),
  };
  let headers: Record<string, string>;
  let urls: URL[];
  try {
    headers = Object.fromEntries(Object.entries({ ...provider.proxy.headers, ...verification.headers }).map(([name, template]) => [name.toLowerCase(), interpolate(template, values)]));
    const base = interpolateUrl(verification.base_url_override ?? provider.proxy.base_url, values, { allowHttp: provider.allow_private_network });
    const query = Object.entries(provider.proxy.query ?? {}).map(([name, template]) => [name, interpolate(template, values)]);
    urls = verification.endpoints.map((endpoint) => {
      const url = new URL(base.replace(/\/+$/, '') + endpoint);
      for (const [name, value] of query) url.searchParams.set(name, value);
      return url;
    });
  } catch (err) {
    if (err instanceof InterpolationError) throw new ConnectError('missing_connection_config', `The provider's verification needs ${err.message.replace(/^Missing value for /, '')}`);
    throw err;
  }
  if (credentials.type === 'BASIC' && !headers.authorization) {
    headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }

  let lastStatus = 0;
  for (const url of urls) {
    let status: number;
    try {
      const response = await providerRequest({
        method: verification.method,
        url,
        headers,
        allowPrivateNetwork: provider.allow_private_network,
        allowHttp: provider.allow_private_network,
        timeoutMs,
      });
      status = response.status;
    } catch (err) {
      if (!(err instanceof ProviderHttpError)) throw err;
      throw new ConnectError('connection_test_failed', `The credentials could not be verified: the provider was not reachable (${err.reason}).`);
    }
    if (status >= 200 && status < 300) return 'verified';
    lastStatus = status;
    // A refusal of the credentials is definitive; other answers may be this endpoint's alone.
    if (status === 401 || status === 403) break;
  }
  const why = lastStatus === 401 || lastStatus === 403 ? 'the provider rejected them' : 'the provider answered';
  throw new ConnectError('connection_test_failed', `The credentials could not be verified: ${why} (HTTP ${lastStatus}).`);
}
