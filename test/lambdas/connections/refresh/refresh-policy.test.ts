import fc from 'fast-check';
import {
  BACKOFF_BASE_MS,
  BACKOFF_CAP_MS,
  backoffAfterFailure,
  DEFAULT_REFRESH_MARGIN_MS,
  isDefinitive,
  needsReauthorization,
  needsRefresh,
  refreshMarginMs,
  tokenMarginMs,
} from '../../../../lambdas/connections/refresh/refresh-policy';

const now = new Date('2030-06-01T12:00:00.000Z');
const inMs = (ms: number) => ({ expires_at: new Date(now.getTime() + ms).toISOString() });

describe('needsRefresh', () => {
  test('15 minute default window', () => {
    expect(refreshMarginMs({})).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(needsRefresh(inMs(15 * 60_000 - 1), {}, now, false)).toBe(true);
    expect(needsRefresh(inMs(15 * 60_000), {}, now, false)).toBe(false);
    expect(needsRefresh(inMs(-1), {}, now, false)).toBe(true);
  });

  test("the provider's token_expiration_buffer (seconds) overrides it, 0 included", () => {
    expect(needsRefresh(inMs(10 * 60_000), { token_expiration_buffer: 300 }, now, false)).toBe(false);
    expect(needsRefresh(inMs(4 * 60_000), { token_expiration_buffer: 300 }, now, false)).toBe(true);
    expect(needsRefresh(inMs(1), { token_expiration_buffer: 0 }, now, false)).toBe(false);
    expect(needsRefresh(inMs(-1), { token_expiration_buffer: 0 }, now, false)).toBe(true);
  });

  test('a buffer that is negative or not a number is ignored: the default window', () => {
    expect(refreshMarginMs({ token_expiration_buffer: -1 })).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(refreshMarginMs({ token_expiration_buffer: null as never })).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(refreshMarginMs({ token_expiration_buffer: '300' as never })).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(refreshMarginMs({ token_expiration_buffer: 0 })).toBe(0);
  });

  test("a token's own lifetime counts only when it is a positive number; no credentials or raw answer: the provider's window", () => {
    for (const expires_in of [0, -120, 'soon', null, Number.POSITIVE_INFINITY]) expect(tokenMarginMs({ raw: { expires_in } }, {})).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(tokenMarginMs({ raw: { expires_in: '120' } }, {})).toBe(60_000);
    for (const credentials of [null, undefined, {}, { raw: null }, { raw: 'text' }]) expect(tokenMarginMs(credentials, { token_expiration_buffer: 60 })).toBe(60_000);
  });

  test("a short-lived token's window is at most half its lifetime (no refresh on every read)", () => {
    expect(tokenMarginMs({ raw: { expires_in: 120 } }, {})).toBe(60_000);
    expect(tokenMarginMs({ raw: { expires_in: 3600 } }, {})).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(tokenMarginMs({ raw: {} }, {})).toBe(DEFAULT_REFRESH_MARGIN_MS);
    expect(needsRefresh({ ...inMs(90_000), raw: { expires_in: 120 } }, {}, now, false)).toBe(false);
    expect(needsRefresh({ ...inMs(59_000), raw: { expires_in: 120 } }, {}, now, false)).toBe(true);
  });

  test('no expires_at: only when forced; force always', () => {
    expect(needsRefresh({}, {}, now, false)).toBe(false);
    expect(needsRefresh(null, {}, now, false)).toBe(false);
    expect(needsRefresh({ expires_at: 'not a date' }, {}, now, false)).toBe(false);
    expect(needsRefresh({}, {}, now, true)).toBe(true);
    expect(needsRefresh(inMs(86_400_000), {}, now, true)).toBe(true);
  });

  test('facebook-like providers refresh only when forced', () => {
    expect(needsRefresh(inMs(-1), { name: 'facebook' }, now, false)).toBe(false);
    expect(needsRefresh(inMs(-1), { name: 'github' }, now, false)).toBe(true);
    expect(needsRefresh(inMs(-1), { name: 'facebook' }, now, true)).toBe(true);
  });
});

describe('failures', () => {
  test('definitive: invalid_grant and invalid_client only', () => {
    expect(isDefinitive('invalid_grant')).toBe(true);
    expect(isDefinitive('invalid_client')).toBe(true);
    for (const kind of ['server', 'network', 'timeout', 'other_4xx', 'invalid_response', 'blocked', 'config', 'unknown'] as const) expect(isDefinitive(kind)).toBe(false);
  });

  test('backoff: 30 s doubling to a 1 h cap; definitive waits the cap', () => {
    expect([1, 2, 3, 4, 7, 8, 9, 50, 10_000].map((n) => backoffAfterFailure(n, 'server') / 1000)).toEqual([30, 60, 120, 240, 1920, 3600, 3600, 3600, 3600]);
    expect(backoffAfterFailure(1, 'invalid_grant')).toBe(BACKOFF_CAP_MS);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), (n) => {
        const ms = backoffAfterFailure(n, 'timeout');
        return ms >= BACKOFF_BASE_MS && ms <= BACKOFF_CAP_MS && ms <= backoffAfterFailure(n + 1, 'timeout');
      }),
    );
  });

  test('reauthorization: at once when definitive; transient only when repeated over 3 days', () => {
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
    expect(needsReauthorization('invalid_grant', 1, now, now)).toBe(true);
    expect(needsReauthorization('server', 100, daysAgo(2.9), now)).toBe(false);
    expect(needsReauthorization('server', 3, daysAgo(30), now)).toBe(false);
    expect(needsReauthorization('timeout', 4, daysAgo(3), now)).toBe(true);
  });
});
