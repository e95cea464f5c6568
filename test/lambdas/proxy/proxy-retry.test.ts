import fc from 'fast-check';
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, isRetryable, retryDelayMs, type RetryPlan } from '../../../lambdas/proxy/proxy-retry';

/** When a proxied call is retried and after how long (pure: the clock and the jitter are passed in). */

const NOW = Date.parse('2026-01-01T00:00:00Z');
const plan = (extra: Partial<RetryPlan> = {}): RetryPlan => ({ retries: 3, retryOn: [], method: 'GET', unsafeAllowed: false, ...extra });
const answer = (status: number, headers: Record<string, string> = {}) => ({ status, headers });

test('5xx, 429, network errors and timeouts are retried; other statuses only when listed', () => {
  for (const status of [500, 502, 503, 504, 599, 429]) expect(isRetryable(answer(status), plan())).toBe(true);
  expect(isRetryable({ error: 'network' }, plan())).toBe(true);
  expect(isRetryable({ error: 'timeout' }, plan())).toBe(true);
  for (const status of [200, 301, 400, 401, 404, 409]) expect(isRetryable(answer(status), plan())).toBe(false);
  expect(isRetryable(answer(409), plan({ retryOn: [409] }))).toBe(true);
  expect(isRetryable(answer(403), plan({ hints: { error_code: [403] } }))).toBe(true);
});

test('POST and PATCH only when the caller opts in', () => {
  for (const method of ['POST', 'PATCH'] as const) {
    expect(isRetryable(answer(503), plan({ method }))).toBe(false);
    expect(isRetryable({ error: 'timeout' }, plan({ method }))).toBe(false);
    expect(isRetryable(answer(503), plan({ method, unsafeAllowed: true }))).toBe(true);
  }
  for (const method of ['GET', 'PUT', 'DELETE'] as const) expect(isRetryable(answer(503), plan({ method }))).toBe(true);
});

test('no retry once the retries are spent', () => {
  expect(retryDelayMs(answer(503), 3, plan(), NOW)).toBeUndefined();
  expect(retryDelayMs(answer(503), 0, plan({ retries: 0 }), NOW)).toBeUndefined();
  expect(retryDelayMs(answer(503), 2, plan(), NOW)).toBeDefined();
});

test('Retry-After in seconds or as an HTTP date wins over backoff', () => {
  expect(retryDelayMs(answer(503, { 'retry-after': '7' }), 0, plan(), NOW, () => 0.5)).toBe(7000);
  expect(retryDelayMs(answer(429, { 'retry-after': new Date(NOW + 12_000).toUTCString() }), 0, plan(), NOW)).toBe(12_000);
  // A date in the past means now.
  expect(retryDelayMs(answer(429, { 'retry-after': new Date(NOW - 5_000).toUTCString() }), 0, plan(), NOW)).toBe(0);
});

test("the provider's hints: after (seconds), at (epoch seconds, ms or a date) once remaining is 0", () => {
  const hints = { after: 'x-wait', at: 'x-reset', remaining: 'x-left' };
  expect(retryDelayMs(answer(429, { 'x-wait': '3' }), 0, plan({ hints }), NOW)).toBe(3000);
  expect(retryDelayMs(answer(429, { 'x-reset': String(NOW / 1000 + 20), 'x-left': '0' }), 0, plan({ hints }), NOW)).toBe(20_000);
  expect(retryDelayMs(answer(429, { 'x-reset': String(NOW + 4_000), 'x-left': '0' }), 0, plan({ hints }), NOW)).toBe(4_000);
  // Requests left: the reset time is not a reason to wait; backoff applies.
  expect(retryDelayMs(answer(429, { 'x-reset': String(NOW / 1000 + 20), 'x-left': '5' }), 0, plan({ hints }), NOW, () => 1)).toBe(BACKOFF_BASE_MS);
  // `at` without `remaining` configured: used as given.
  expect(retryDelayMs(answer(429, { 'x-reset': new Date(NOW + 9_000).toISOString() }), 0, plan({ hints: { at: 'x-reset' } }), NOW)).toBe(9_000);
});

test('backoff: full jitter under an exponential ceiling, capped (fast-check)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 9 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (attempt, random) => {
      const delay = retryDelayMs({ error: 'network' }, attempt, plan({ retries: 10 }), NOW, () => random)!;
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      return delay >= 0 && delay <= ceiling;
    }),
  );
  expect(retryDelayMs({ error: 'network' }, 9, plan({ retries: 10 }), NOW, () => 0.999)).toBeLessThanOrEqual(BACKOFF_CAP_MS);
});

test('unparseable hints fall back to backoff, never NaN (fast-check)', () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), (retryAfter, reset) => {
      const delay = retryDelayMs(answer(503, { 'retry-after': retryAfter, 'x-reset': reset }), 1, plan({ hints: { at: 'x-reset', after: 'x-reset' } }), NOW, () => 0.5);
      return typeof delay === 'number' && Number.isFinite(delay) && delay >= 0;
    }),
  );
});
