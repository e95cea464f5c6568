import { interpolate, interpolateUrl, type InterpolationValues } from '../providers/interpolation';
import type { Resolver } from '../platform/net/network-policy';
import { providerRequest, ProviderHttpError, type ProviderResponse } from '../platform/net/provider-http';
import type { Provider } from '../providers/provider-schema';
import {
  classifyErrorResponse,
  OAuthTokenError,
  parseClientCredentialsResponse,
  parseTokenResponse,
  type OAuth2CcCredentials,
  type OAuth2Credentials,
  type ParsedTokenResponse,
} from './token-response';

/**
 * Token endpoint calls (RFC 6749 §4.1.3 code exchange, §6 refresh, §4.4 client credentials).
 *
 * Hand-written on top of providerRequest rather than oauth4webapi: our providers need what a
 * spec-strict client does not do (token URLs per auth mode and interpolated per connection, JSON
 * bodies, Basic auth alongside body parameters, errors inside 200 answers, tokens at alternate
 * paths, non-OIDC servers), and every call must go through the SSRF-pinned client with its
 * deadline and size cap. What is left is a form post, which is less code than adapting a library.
 */

export type TokenProvider = Pick<
  Provider,
  | 'auth_mode'
  | 'token_url'
  | 'refresh_url'
  | 'token_params'
  | 'refresh_params'
  | 'authorization_method'
  | 'body_format'
  | 'token_request_auth_method'
  | 'alternate_access_token_response_path'
  | 'token_response_metadata'
> & { scope_separator?: string; allow_private_network?: boolean };

export interface TokenRequestContext {
  provider: TokenProvider;
  /** The integration's client, or a connection's config_override. */
  client: { client_id: string; client_secret: string };
  connectionConfig?: Readonly<Record<string, unknown>>;
  /** The request's clock, for expires_in. */
  now: Date;
  timeoutMs?: number;
  /** DNS resolution (tests). */
  resolve?: Resolver;
}

/** The provider definition cannot make this request (no token URL, unsupported client authentication). */
export class OAuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OAuthConfigError';
  }
}

export async function exchangeCode(
  context: TokenRequestContext & { code: string; redirectUri: string; codeVerifier?: string },
): Promise<ParsedTokenResponse<OAuth2Credentials>> {
  const params: Record<string, string> = {
    ...extraParams(context.provider.token_params, context),
    grant_type: 'authorization_code',
    code: context.code,
    redirect_uri: context.redirectUri,
  };
  if (context.codeVerifier) params.code_verifier = context.codeVerifier;
  const { body, host } = await post(tokenUrl(context.provider, 'OAUTH2'), params, context);
  return parseTokenResponse(body, { provider: context.provider, now: context.now, host });
}

/**
 * Uses refresh_url when the provider has one (providers whose refresh endpoint differs), and
 * refresh_params, else token_params (minus their grant_type), as Nango does.
 */
export async function refreshTokens(context: TokenRequestContext & { refreshToken: string }): Promise<ParsedTokenResponse<OAuth2Credentials>> {
  const params: Record<string, string> = {
    ...extraParams(context.provider.refresh_params ?? context.provider.token_params, context),
    grant_type: 'refresh_token',
    refresh_token: context.refreshToken,
  };
  const url = context.provider.refresh_url ?? tokenUrl(context.provider, 'OAUTH2');
  const { body, host } = await post(url, params, context);
  return parseTokenResponse(body, { provider: context.provider, now: context.now, host });
}

export async function clientCredentials(context: TokenRequestContext & { scopes?: readonly string[] }): Promise<ParsedTokenResponse<OAuth2CcCredentials>> {
  const params: Record<string, string> = { ...extraParams(context.provider.token_params, context), grant_type: 'client_credentials' };
  if (context.scopes?.length) params.scope = context.scopes.join(context.provider.scope_separator ?? ' ');
  const { body, host } = await post(tokenUrl(context.provider, 'OAUTH2_CC'), params, context);
  return parseClientCredentialsResponse(body, context.client, { provider: context.provider, now: context.now, host });
}

/** token_url is one URL, or one per auth mode (CUSTOM providers): the grant's own, else OAUTH2's. */
function tokenUrl(provider: TokenProvider, mode: 'OAUTH2' | 'OAUTH2_CC'): string {
  const { token_url: url } = provider;
  const chosen = typeof url === 'string' ? url : (url?.[mode] ?? url?.OAUTH2);
  if (!chosen) throw new OAuthConfigError('Provider has no token_url');
  return chosen;
}

function extraParams(templates: Readonly<Record<string, string>> | undefined, context: TokenRequestContext): Record<string, string> {
  const values: InterpolationValues = { connectionConfig: context.connectionConfig ?? {} };
  // Our grant_type always wins; token_params' grant_type is for the exchange only.
  const entries = Object.entries(templates ?? {}).filter(([key]) => key !== 'grant_type');
  return Object.fromEntries(entries.map(([key, template]) => [key, interpolate(template, values)]));
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 requires before Basic-encoding the client. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

async function post(template: string, params: Record<string, string>, context: TokenRequestContext): Promise<{ body: unknown; host: string }> {
  const { provider, client } = context;
  if (provider.token_request_auth_method === 'custom' || provider.token_request_auth_method === 'private_key_jwt') {
    throw new OAuthConfigError(`token_request_auth_method ${provider.token_request_auth_method} is not supported by the generic token client`);
  }
  const privateNetwork = provider.allow_private_network === true;
  const url = interpolateUrl(template, { connectionConfig: context.connectionConfig ?? {} }, { allowHttp: privateNetwork });
  const host = new URL(url).hostname;

  const headers: Record<string, string> = { accept: 'application/json' };
  const fields = { ...params };
  if (provider.authorization_method === 'header' || provider.token_request_auth_method === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(client.client_id)}:${formEncode(client.client_secret)}`).toString('base64')}`;
  } else {
    fields.client_id = client.client_id;
    fields.client_secret = client.client_secret;
  }
  let payload: string;
  if (provider.body_format === 'json') {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(fields);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(fields).toString();
  }

  let response: ProviderResponse;
  try {
    response = await providerRequest({
      method: 'POST',
      url,
      headers,
      body: payload,
      allowPrivateNetwork: privateNetwork,
      allowHttp: privateNetwork,
      timeoutMs: context.timeoutMs,
      resolve: context.resolve,
    });
  } catch (err) {
    if (!(err instanceof ProviderHttpError)) throw err;
    const kind = err.reason === 'too_large' ? 'invalid_response' : err.reason;
    throw new OAuthTokenError({ kind, host });
  }

  const body = parseBody(response);
  const status = response.status;
  // GitHub and Slack report errors in 200 answers.
  const hasError = body !== null && typeof body === 'object' && Boolean((body as { error?: unknown }).error);
  if (status < 200 || status >= 300 || hasError) throw classifyErrorResponse(status, body, host);
  return { body, host };
}

/** JSON, or a form-encoded answer (GitHub's default, some older servers); undefined when neither. */
function parseBody(response: ProviderResponse): unknown {
  try {
    return response.json();
  } catch {
    const type = String(response.headers['content-type'] ?? '');
    if (type.includes('application/x-www-form-urlencoded') || type.includes('text/plain')) {
      const form = new URLSearchParams(response.body.toString('utf8'));
      if (form.has('access_token') || form.has('error')) return Object.fromEntries(form);
    }
    return undefined;
  }
}
