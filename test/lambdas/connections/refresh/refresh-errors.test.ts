import {
  RefreshBackoffError,
  RefreshBusyError,
  RefreshConnectionGoneError,
  RefreshExhaustedError,
  RefreshFailedError,
} from '../../../../lambdas/connections/refresh/refresh-errors';

/*
 * What a failed refresh says: its name (logs), reason (the error table's key) and message (the API
 * answer's, which must name what happened and never carry a token or a provider's text beyond its
 * error code).
 */

// Built inside each test (not when the file loads), so per-test coverage sees the constructors run.
test.each([
  ['RefreshBackoffError', () => new RefreshBackoffError(new Date('2030-01-01T00:00:00.000Z')), 'connection_refresh_backoff', 'Token refresh is in backoff after a failure until 2030-01-01T00:00:00.000Z'],
  ['RefreshExhaustedError', () => new RefreshExhaustedError(), 'connection_refresh_exhausted', 'Token refresh failed for good: the connection needs to be reauthorized'],
  ['RefreshBusyError', () => new RefreshBusyError(), 'connection_refresh_in_progress', 'Another token refresh of this connection is still running'],
  ['RefreshConnectionGoneError', () => new RefreshConnectionGoneError(), 'not_found', 'Failed to find connection'],
] as const)('%s: name, reason and message', (name, build, reason, message) => {
  const error = build();
  expect({ name: error.name, reason: error.reason, message: error.message }).toEqual({ name, reason, message });
});

describe('RefreshFailedError', () => {
  const retryAt = new Date('2030-01-01T00:00:00.000Z');
  const failed = (extra: { status?: number; providerError?: string } = {}) => new RefreshFailedError({ kind: 'invalid_grant', definitive: true, needsReauthorization: true, retryAt, ...extra });
  const PREFIX = 'The external API returned an error when trying to refresh the access token: invalid_grant';

  test('the message names the kind, and the provider error code and HTTP status when known', () => {
    expect(failed().message).toBe(PREFIX);
    expect(failed({ status: 400 }).message).toBe(`${PREFIX} (HTTP 400)`);
    expect(failed({ providerError: 'invalid_grant' }).message).toBe(`${PREFIX} (error=invalid_grant)`);
    expect(failed({ status: 400, providerError: 'invalid_grant' }).message).toBe(`${PREFIX} (error=invalid_grant, HTTP 400)`);
  });

  test('the fields are kept; status and providerError are undefined when not given', () => {
    const full = failed({ status: 401, providerError: 'invalid_client' });
    expect(full).toMatchObject({ name: 'RefreshFailedError', reason: 'refresh_token_external_error', kind: 'invalid_grant', definitive: true, needsReauthorization: true, retryAt, status: 401, providerError: 'invalid_client' });
    expect(failed()).toMatchObject({ status: undefined, providerError: undefined });
  });

  test('withConnection attaches the connection the failure happened to', () => {
    const connection = { id: 7 } as never;
    const error = failed();
    expect(error.withConnection(connection)).toBe(error);
    expect(error.connection).toBe(connection);
  });
});
