import { createHash, randomBytes } from 'node:crypto';
import { interpolate, interpolateUrl, type InterpolationValues } from '../providers/interpolation';
import type { Provider } from '../providers/provider-schema';

/**
 * The authorization URL the end user's browser is sent to (RFC 6749 §4.1.1 plus PKCE, RFC 7636),
 * from a provider definition and an integration. Pure: no I/O, so the connect flow can build it,
 * and tests can pin it, without a network.
 */

/** What of a provider this module reads (a catalog entry or a validated custom provider). */
export type AuthorizeProvider = Pick<
  Provider,
  | 'authorization_url'
  | 'authorization_params'
  | 'disable_pkce'
  | 'authorization_url_skip_encode'
  | 'authorization_url_skip_empty'
  | 'authorization_url_fragment'
  | 'authorization_url_replacements'
> & { scope_separator?: string; allow_private_network?: boolean };

export interface AuthorizeUrlInput {
  provider: AuthorizeProvider;
  integration: { client_id: string; scopes?: readonly string[] | null };
  connectionConfig?: Readonly<Record<string, unknown>>;
  redirectUri: string;
  /** The OAuth session's id: ties the callback to this attempt (CSRF). */
  state: string;
  /** base64url(sha256(verifier)); required unless the provider disables PKCE. */
  codeChallenge?: string;
  /** Replaces the integration's scopes (connect session `oauth_scopes_override`). */
  scopesOverride?: readonly string[];
  /** The caller's extra parameters; they win over the provider's. `undefined`/null removes one. */
  authorizationParams?: Readonly<Record<string, string | null | undefined>>;
  /** Slack's user-token scopes (`user_scope`). */
  userScope?: string;
}

/**
 * Parameters that bind the flow to us and to this attempt. Neither a provider definition nor a
 * caller may change them: another redirect_uri or state would hand the code to someone else or
 * break the CSRF check, another challenge would defeat PKCE.
 */
const PROTECTED = new Set(['client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method']);

export class AuthorizeUrlError extends Error {
  constructor(
    readonly code: 'missing_authorization_url' | 'missing_code_challenge' | 'protected_parameter',
    message: string,
  ) {
    super(message);
    this.name = 'AuthorizeUrlError';
  }
}

export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const { provider } = input;
  if (!provider.authorization_url) throw new AuthorizeUrlError('missing_authorization_url', 'Provider has no authorization_url');
  const values: InterpolationValues = { connectionConfig: input.connectionConfig ?? {} };
  const base = interpolateUrl(provider.authorization_url, values, { allowHttp: provider.allow_private_network === true });

  const separator = provider.scope_separator ?? ' ';
  const scopes = (input.scopesOverride ?? input.integration.scopes ?? []).map((s) => s.trim()).filter(Boolean);
  const params = new Map<string, string>([
    ['response_type', 'code'],
    ['client_id', input.integration.client_id],
    ['redirect_uri', input.redirectUri],
  ]);
  if (scopes.length > 0) params.set('scope', scopes.join(separator));
  params.set('state', input.state);
  if (!provider.disable_pkce) {
    if (!input.codeChallenge) throw new AuthorizeUrlError('missing_code_challenge', 'PKCE is on for this provider: a code challenge is required');
    params.set('code_challenge', input.codeChallenge);
    params.set('code_challenge_method', 'S256');
  }
  for (const [key, template] of Object.entries(provider.authorization_params ?? {})) {
    guard(key);
    params.set(key, interpolate(template, values));
  }
  if (input.userScope !== undefined && input.userScope !== '') params.set('user_scope', input.userScope);
  for (const [key, value] of Object.entries(input.authorizationParams ?? {})) {
    guard(key);
    if (value === undefined || value === null) params.delete(key);
    else params.set(key, value);
  }

  const skipScopeEncoding = provider.authorization_url_skip_encode?.includes('scopes') === true;
  const query = [...params]
    .filter(([, value]) => !(provider.authorization_url_skip_empty && value === ''))
    .map(([key, value]) => {
      // skip_encode: the separator stays literal (some providers reject `%2C`/`%20`); each scope is still encoded.
      const encoded = key === 'scope' && skipScopeEncoding && value === scopes.join(separator) ? scopes.map(encode).join(separator) : encode(value);
      return `${encode(key)}=${encoded}`;
    })
    .join('&');
  let url = `${base}${base.includes('?') ? '&' : '?'}${query}`;
  for (const [from, to] of Object.entries(provider.authorization_url_replacements ?? {})) url = url.split(from).join(to);
  if (provider.authorization_url_fragment) url += `#${provider.authorization_url_fragment}`;
  return url;
}

function guard(key: string): void {
  if (PROTECTED.has(key)) throw new AuthorizeUrlError('protected_parameter', `Authorization parameter ${key} cannot be overridden`);
}

/** RFC 3986 percent-encoding (space as %20, which every provider accepts; `+` is not universal). */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface PkcePair {
  /** 43 characters of base64url (32 random bytes); stays server-side in the OAuth session. */
  verifier: string;
  /** base64url(sha256(verifier)), sent with code_challenge_method=S256. */
  challenge: string;
}

export function newPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
