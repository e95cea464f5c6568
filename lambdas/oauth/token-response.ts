import type { StoredCredentials } from '../connections/credentials';
import type { Provider } from '../providers/provider-schema';

/**
 * Turns a token endpoint's answer into our stored credentials, or into a classified error. The
 * classification drives refresh decisions: invalid_grant means the grant is dead (the end user
 * must reconnect), invalid_client means our integration is misconfigured, server/network/timeout
 * are worth retrying later.
 */

export type OAuth2Credentials = Extract<StoredCredentials, { type: 'OAUTH2' }>;
export type OAuth2CcCredentials = Extract<StoredCredentials, { type: 'OAUTH2_CC' }>;

export type OAuthTokenErrorKind =
  | 'invalid_grant'
  | 'invalid_client'
  | 'other_4xx'
  | 'server'
  | 'network'
  | 'timeout'
  /** A 2xx/3xx answer that is not a usable token response (not JSON, no access token, a redirect, too large). */
  | 'invalid_response'
  /** Our network policy refused the token URL (private address, http). */
  | 'blocked';

/**
 * A failed token request. It carries the provider's `error` code (bounded, code-like only) and
 * the HTTP status, never the response body, `error_description`, the URL's query or anything we
 * sent: providers echo codes, tokens and secrets in their descriptions.
 */
export class OAuthTokenError extends Error {
  readonly kind: OAuthTokenErrorKind;
  readonly status?: number;
  readonly providerError?: string;
  readonly host: string;

  constructor(init: { kind: OAuthTokenErrorKind; host: string; status?: number; providerError?: string }) {
    const details = [init.providerError && `error=${init.providerError}`, init.status !== undefined && `HTTP ${init.status}`].filter(Boolean).join(', ');
    super(`Token request to ${init.host} failed: ${init.kind}${details ? ` (${details})` : ''}`);
    this.name = 'OAuthTokenError';
    this.kind = init.kind;
    this.host = init.host;
    if (init.status !== undefined) this.status = init.status;
    if (init.providerError !== undefined) this.providerError = init.providerError;
  }
}

// Codes meaning "this code / refresh token is no good" (RFC 6749 §5.2, plus GitHub's and Slack's names).
const GRANT_ERRORS = new Set(['invalid_grant', 'bad_verification_code', 'invalid_code', 'code_already_used', 'code_expired', 'invalid_refresh_token', 'token_revoked', 'token_expired', 'expired_token']);
// Codes meaning "our client id/secret (or its permissions) are wrong".
const CLIENT_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials', 'bad_client_secret', 'invalid_client_id']);

/** The provider's `error` if it looks like a code (at most 64 of [A-Za-z0-9_.-]); anything else could be an echo. */
export function safeErrorCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : undefined;
}

/** Classifies an answer that is an error: by the `error` code first, then by the status. */
export function classifyErrorResponse(status: number, body: unknown, host: string): OAuthTokenError {
  const providerError = isRecord(body) ? safeErrorCode(body.error) : undefined;
  let kind: OAuthTokenErrorKind;
  // 429: rate limited, as transient as an outage.
  if (status >= 500 || status === 429) kind = 'server';
  else if (providerError && GRANT_ERRORS.has(providerError)) kind = 'invalid_grant';
  else if (providerError && CLIENT_ERRORS.has(providerError)) kind = 'invalid_client';
  else if (status === 401) kind = 'invalid_client';
  else if (status >= 400) kind = 'other_4xx';
  // A 2xx carrying an error (GitHub, Slack answer 200 with `error`).
  else kind = providerError ? 'other_4xx' : 'invalid_response';
  return new OAuthTokenError({ kind, host, status, providerError });
}

export interface ParsedTokenResponse<C> {
  credentials: C;
  /** token_response_metadata values, to merge into the connection's connection_config. */
  connectionConfig: Record<string, unknown>;
}

export interface ParseOptions {
  provider: Pick<Provider, 'alternate_access_token_response_path' | 'token_response_metadata'>;
  /** The request's clock: expires_in is relative to it. */
  now: Date;
  /** For error messages. */
  host: string;
}

/** A successful authorization_code or refresh_token answer → OAUTH2 credentials. */
export function parseTokenResponse(body: unknown, options: ParseOptions): ParsedTokenResponse<OAuth2Credentials> {
  const { token, source } = accessToken(body, options);
  const refresh = stringAt(source, 'refresh_token') ?? stringAt(body as Record<string, unknown>, 'refresh_token');
  const expiresAt = expiryOf(source, options.now) ?? expiryOf(body as Record<string, unknown>, options.now);
  const credentials: OAuth2Credentials = { type: 'OAUTH2', access_token: token, raw: body as Record<string, unknown> };
  if (refresh) credentials.refresh_token = refresh;
  if (expiresAt) credentials.expires_at = expiresAt;
  return { credentials, connectionConfig: metadataOf(body as Record<string, unknown>, options.provider.token_response_metadata) };
}

/** A successful client_credentials answer → OAUTH2_CC credentials (Nango keeps the client in them). */
export function parseClientCredentialsResponse(
  body: unknown,
  client: { client_id: string; client_secret: string },
  options: ParseOptions,
): ParsedTokenResponse<OAuth2CcCredentials> {
  const { token } = accessToken(body, options);
  const expiresAt = expiryOf(body as Record<string, unknown>, options.now);
  const credentials: OAuth2CcCredentials = { type: 'OAUTH2_CC', token, client_id: client.client_id, client_secret: client.client_secret, raw: body as Record<string, unknown> };
  if (expiresAt) credentials.expires_at = expiresAt;
  return { credentials, connectionConfig: metadataOf(body as Record<string, unknown>, options.provider.token_response_metadata) };
}

/**
 * Credentials after a refresh: providers that do not rotate refresh tokens leave it out of the
 * answer, and then the old one stays valid. The client override is ours, not the provider's.
 */
export function mergeRefreshed(old: OAuth2Credentials, fresh: OAuth2Credentials): OAuth2Credentials {
  const merged: OAuth2Credentials = { ...fresh };
  if (!merged.refresh_token && old.refresh_token) merged.refresh_token = old.refresh_token;
  if (old.config_override && !merged.config_override) merged.config_override = old.config_override;
  return merged;
}

const MAX_TOKEN_LENGTH = 16_384;

/**
 * The access token: at the top level, else at alternate_access_token_response_path (Slack puts a
 * user token under authed_user). `source` is the object the token was found in, whose siblings
 * (refresh_token, expires_in) belong to it.
 */
function accessToken(body: unknown, options: ParseOptions): { token: string; source: Record<string, unknown> } {
  const invalid = () => new OAuthTokenError({ kind: 'invalid_response', host: options.host });
  if (!isRecord(body)) throw invalid();
  const top = body.access_token;
  if (typeof top === 'string' && top.length > 0) {
    if (top.length > MAX_TOKEN_LENGTH) throw invalid();
    return { token: top, source: body };
  }
  const path = options.provider.alternate_access_token_response_path;
  if (path) {
    const parts = path.split('.');
    const alternate = valueAt(body, parts);
    if (typeof alternate === 'string' && alternate.length > 0 && alternate.length <= MAX_TOKEN_LENGTH) {
      const parent = valueAt(body, parts.slice(0, -1));
      return { token: alternate, source: isRecord(parent) ? parent : body };
    }
  }
  throw invalid();
}

/** expires_in (seconds from now; number or numeric string) wins: it does not depend on the provider's clock. */
function expiryOf(source: Record<string, unknown>, now: Date): string | undefined {
  const seconds = numeric(source.expires_in);
  if (seconds !== undefined && seconds > 0 && seconds < 100 * 365 * 86_400) return new Date(now.getTime() + seconds * 1000).toISOString();
  return absoluteDate(source.expires_at);
}

/** An absolute expiry: ISO string, or epoch seconds / milliseconds (number or numeric string). */
function absoluteDate(value: unknown): string | undefined {
  const n = numeric(value);
  let date: Date | undefined;
  if (n !== undefined && n > 0) date = new Date(n < 1e12 ? n * 1000 : n);
  else if (typeof value === 'string' && value.length <= 64) date = new Date(value);
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined;
}

function numeric(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function metadataOf(body: Record<string, unknown>, paths: readonly string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths ?? []) {
    const parts = path.split('.');
    if (parts.some((p) => FORBIDDEN_KEYS.has(p))) continue;
    const value = valueAt(body, parts);
    // Stored under the dotted path itself (`team.id`), as templates refer to it.
    if (value !== undefined && value !== null) out[path] = value;
  }
  return out;
}

function valueAt(root: unknown, parts: readonly string[]): unknown {
  let current = root;
  for (const part of parts) {
    if (!isRecord(current) || !Object.hasOwn(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

function stringAt(source: Record<string, unknown>, key: string): string | undefined {
  const value = Object.hasOwn(source, key) ? source[key] : undefined;
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TOKEN_LENGTH ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
