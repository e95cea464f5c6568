import type { OAuthTokenErrorKind } from '../../oauth/token-response';
import type { Provider } from '../../providers/provider-schema';

/**
 * When to refresh, how long to wait after a failure, and when a connection needs its end user to
 * reconnect. Pure functions: the coordinator and the store pass the request's clock in.
 */

/** Nango's REFRESH_MARGIN_MS: refresh on read when the token expires within this. */
export const DEFAULT_REFRESH_MARGIN_MS = 15 * 60_000;

/** Providers whose tokens are refreshed only on request (Nango: long-lived tokens exchanged, not refreshed). */
const FORCED_ONLY = new Set(['facebook', 'instagram', 'threads']);

export type RefreshPolicyProvider = Pick<Provider, 'token_expiration_buffer'> & { name?: string };

/** The provider's token_expiration_buffer (seconds) overrides the default window. */
export function refreshMarginMs(provider: RefreshPolicyProvider): number {
  const buffer = provider.token_expiration_buffer;
  return typeof buffer === 'number' && buffer >= 0 ? buffer * 1000 : DEFAULT_REFRESH_MARGIN_MS;
}

/**
 * The window for one token: the provider's (refreshMarginMs), but at most half the token's own
 * lifetime (`raw.expires_in` of the response that issued it). A token that lives 2 minutes is
 * otherwise "due" from birth under a 15-minute window, and every read would refresh it: a storm.
 */
export function tokenMarginMs(credentials: { raw?: unknown } | null | undefined, provider: RefreshPolicyProvider): number {
  const margin = refreshMarginMs(provider);
  const raw = credentials?.raw;
  const expiresIn = raw && typeof raw === 'object' ? Number((raw as Record<string, unknown>).expires_in) : Number.NaN;
  return Number.isFinite(expiresIn) && expiresIn > 0 ? Math.min(margin, (expiresIn * 1000) / 2) : margin;
}

/** False for providers refreshed only when forced. */
export function refreshesOnRead(provider: RefreshPolicyProvider): boolean {
  return !(provider.name && FORCED_ONLY.has(provider.name));
}

/**
 * Refresh on read: forced, or the token expires within the margin. A token without `expires_at`
 * is never refreshed on read (nothing says it will expire), only when forced.
 */
export function needsRefresh(credentials: { expires_at?: string; raw?: unknown } | null | undefined, provider: RefreshPolicyProvider, now: Date, force: boolean): boolean {
  if (force) return true;
  if (!refreshesOnRead(provider)) return false;
  const expiresAt = credentials?.expires_at ? Date.parse(credentials.expires_at) : Number.NaN;
  if (Number.isNaN(expiresAt)) return false;
  return expiresAt - now.getTime() < tokenMarginMs(credentials, provider);
}

/** What a failed refresh is recorded as: the token client's kinds, plus errors outside it. */
export type RefreshFailureKind = OAuthTokenErrorKind | 'config' | 'unknown';

/**
 * The grant is dead (invalid_grant: revoked, expired, rotated away) or our client is refused
 * (invalid_client): trying again cannot help until someone acts. Outages, timeouts, 429 (classified
 * 'server') and odd answers may heal on their own.
 */
export function isDefinitive(kind: RefreshFailureKind): boolean {
  return kind === 'invalid_grant' || kind === 'invalid_client';
}

export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_CAP_MS = 60 * 60_000;

/**
 * Cooldown after the `failureCount`-th consecutive failure: 30 s, 1 min, 2 min … capped at 1 h.
 * A definitive failure waits the cap at once (only a forced refresh or a re-import should retry it).
 */
export function backoffAfterFailure(failureCount: number, kind: RefreshFailureKind): number {
  if (isDefinitive(kind)) return BACKOFF_CAP_MS;
  const exponent = Math.min(Math.max(failureCount, 1) - 1, 20);
  return Math.min(BACKOFF_BASE_MS * 2 ** exponent, BACKOFF_CAP_MS);
}

/** Transient failures mark a connection as needing reauthorization only after this many in a row… */
export const EXHAUSTION_MIN_FAILURES = 4;
/** …that have gone on for at least this long (Nango: failures on 4 different days). */
export const EXHAUSTION_MIN_SPAN_MS = 3 * 86_400_000;

/**
 * Needs reauthorization: a definitive failure, or transient ones repeated over days, so a
 * provider outage of a few hours never breaks connections.
 * `failureCount` includes this failure; `failingSince` is when the streak started.
 */
export function needsReauthorization(kind: RefreshFailureKind, failureCount: number, failingSince: Date, now: Date): boolean {
  if (isDefinitive(kind)) return true;
  return failureCount >= EXHAUSTION_MIN_FAILURES && now.getTime() - failingSince.getTime() >= EXHAUSTION_MIN_SPAN_MS;
}
