import { failureDescription, REFRESH_ERROR_TYPE } from '../../../../lambdas/connections/refresh/refresh-events';
import type { RefreshFailureKind } from '../../../../lambdas/connections/refresh/refresh-policy';

/**
 * The `error.description` of a refresh failure webhook: ours, one sentence per failure kind that
 * says what went wrong and what happens next, never the provider's text.
 */

const SAYS: Record<RefreshFailureKind, RegExp> = {
  invalid_grant: /refused the refresh token .* the end user must reconnect$/,
  invalid_client: /refused the integration's OAuth client: check its client id and secret$/,
  other_4xx: /^The provider refused the refresh request$/,
  server: /failed to answer .*\(server error or rate limit\); retrying after a cooldown$/,
  network: /could not be reached; retrying after a cooldown$/,
  timeout: /did not answer the refresh request in time; retrying after a cooldown$/,
  invalid_response: /answered the refresh request with something that is not a token$/,
  blocked: /token URL is not allowed by the outbound network policy$/,
  config: /missing what a refresh needs \(client id or secret, token URL\)$/,
  unknown: /failed unexpectedly; retrying after a cooldown$/,
};

test.each(Object.entries(SAYS))('%s: says what failed and what happens next', (kind, says) => {
  expect(failureDescription(kind as RefreshFailureKind)).toMatch(says);
});

test('every kind has its own sentence', () => {
  const sentences = Object.keys(SAYS).map((kind) => failureDescription(kind as RefreshFailureKind));
  expect(new Set(sentences).size).toBe(sentences.length);
});

test("the provider's HTTP status, when there was one, is appended", () => {
  expect(failureDescription('server', 503)).toBe(`${failureDescription('server')} (HTTP 503)`);
  expect(failureDescription('invalid_grant', 400)).toMatch(/must reconnect \(HTTP 400\)$/);
  expect(failureDescription('network')).not.toContain('HTTP');
});

test("the error type is Nango's for a failed refresh", () => {
  expect(REFRESH_ERROR_TYPE).toBe('refresh_token_external_error');
});
