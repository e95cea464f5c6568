import type { StoredCredentials } from '../connections/credentials';
import { interpolate, interpolateUrl, InterpolationError, type InterpolationValues } from '../providers/interpolation';
import type { Provider } from '../providers/provider-schema';
import { ProxyError } from './errors';

/**
 * What a proxied call carries for its connection: the provider's `proxy.headers` and `proxy.query`
 * templates filled with the connection's values, and, where the provider sets no Authorization
 * header of its own, the default for the auth mode (Bearer for OAuth2, client credentials and app
 * installation tokens; Basic for basic auth; API keys only through the templates). `secrets` lists
 * every value that carries a credential, so nothing echoing one goes back to the caller.
 */
export interface Injection {
  /** Lower-case names. */
  headers: Record<string, string>;
  query: Array<[string, string]>;
  secrets: string[];
}

type Credentials = StoredCredentials | Record<string, never>;

/** The token a Bearer header carries, per type; undefined for types without one. */
function accessTokenOf(credentials: Credentials): string | undefined {
  if (!('type' in credentials)) return undefined;
  if (credentials.type === 'OAUTH2' || credentials.type === 'APP') return credentials.access_token;
  if (credentials.type === 'OAUTH2_CC') return credentials.token;
  return undefined;
}

export function interpolationValues(credentials: Credentials, connectionConfig: Record<string, unknown>): InterpolationValues {
  const values: InterpolationValues = { connectionConfig, credentials: credentials as Record<string, unknown> };
  const accessToken = accessTokenOf(credentials);
  if (accessToken) values.accessToken = accessToken;
  if ('type' in credentials && credentials.type === 'API_KEY') values.apiKey = credentials.apiKey;
  if ('type' in credentials && credentials.type === 'BASIC') Object.assign(values, { username: credentials.username, password: credentials.password });
  return values;
}

export function injectCredentials(provider: Provider, credentials: Credentials, connectionConfig: Record<string, unknown>): Injection {
  const type = 'type' in credentials ? credentials.type : 'NONE';
  if (type === 'OAUTH1' || type === 'TBA') {
    throw new ProxyError('unsupported_auth_mode', `The proxy cannot sign requests for ${type} connections`);
  }
  const values = interpolationValues(credentials, connectionConfig);
  const headers: Record<string, string> = {};
  const query: Array<[string, string]> = [];
  try {
    for (const [name, template] of Object.entries(provider.proxy?.headers ?? {})) headers[name.toLowerCase()] = interpolate(template, values);
    for (const [name, template] of Object.entries(provider.proxy?.query ?? {})) query.push([name, interpolate(template, values)]);
  } catch (err) {
    throw templateError(err);
  }
  if (!headers.authorization) {
    const token = accessTokenOf(credentials);
    if (token) headers.authorization = `Bearer ${token}`;
    else if ('type' in credentials && credentials.type === 'BASIC') headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  }
  const secrets = [...secretValues(credentials), ...Object.values(headers), ...query.map(([, value]) => value)].filter((value) => value.length >= 4);
  return { headers, query, secrets: [...new Set(secrets)] };
}

/** The provider's base URL for this connection (its templates may use connection config). */
export function baseUrlOf(provider: Provider, credentials: Credentials, connectionConfig: Record<string, unknown>): string | undefined {
  const template = provider.proxy?.base_url;
  if (!template) return undefined;
  try {
    return interpolateUrl(template, interpolationValues(credentials, connectionConfig), { allowHttp: provider.allow_private_network === true });
  } catch (err) {
    throw templateError(err);
  }
}

function secretValues(credentials: Credentials): string[] {
  if (!('type' in credentials)) return [];
  switch (credentials.type) {
    case 'OAUTH2':
      return [credentials.access_token, credentials.refresh_token ?? ''];
    case 'APP':
      return [credentials.access_token];
    case 'OAUTH2_CC':
      return [credentials.token, credentials.client_secret];
    case 'API_KEY':
      return [credentials.apiKey];
    case 'BASIC':
      return [credentials.password];
    default:
      return [];
  }
}

function templateError(err: unknown): unknown {
  // Names keys, never values.
  if (err instanceof InterpolationError) return new ProxyError('missing_connection_config', `The provider's proxy template cannot be filled: ${err.message}`);
  return err;
}
