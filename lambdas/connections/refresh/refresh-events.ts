import type { RefreshFailureKind } from './refresh-policy';

/**
 * The webhooks of a refresh incident, Nango's `auth` body (docs/nango-wire.md §4.1) with operation
 * `refresh`: ONE failure event when an incident opens (the first failed refresh of a streak), and
 * ONE recovery event (`success: true`, our extension: Nango sends nothing on success) when the
 * next refresh succeeds and closes it. Both are gated by `webhook_on_auth_refresh_error`
 * (lambdas/webhooks/delivery-store.ts maps operation `refresh` to it).
 *
 * The bodies are built in SQL by the statement that records the outcome, from the row it changed
 * (refresh-store.ts `refreshEvent`), so an event exists exactly when its change committed. `error.description` is ours: the
 * failure kind and status, never the provider's text.
 */

/** Nango's error type for any failed refresh. */
export const REFRESH_ERROR_TYPE = 'refresh_token_external_error';

const DESCRIPTIONS: Record<RefreshFailureKind, string> = {
  invalid_grant: 'The provider refused the refresh token (revoked, expired or already used): the end user must reconnect',
  invalid_client: "The provider refused the integration's OAuth client: check its client id and secret",
  other_4xx: 'The provider refused the refresh request',
  server: 'The provider failed to answer the refresh request (server error or rate limit); retrying after a cooldown',
  network: 'The provider could not be reached; retrying after a cooldown',
  timeout: 'The provider did not answer the refresh request in time; retrying after a cooldown',
  invalid_response: 'The provider answered the refresh request with something that is not a token',
  blocked: "The provider's token URL is not allowed by the outbound network policy",
  config: 'The integration is missing what a refresh needs (client id or secret, token URL)',
  unknown: 'The refresh failed unexpectedly; retrying after a cooldown',
};

export function failureDescription(kind: RefreshFailureKind, status?: number): string {
  return status !== undefined ? `${DESCRIPTIONS[kind]} (HTTP ${status})` : DESCRIPTIONS[kind];
}
