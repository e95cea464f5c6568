import { afterAttempt, FAILURE_THRESHOLD, isOpen, OPEN_MS } from '../../../lambdas/webhooks/circuit-breaker';
import { backoffMs, BASE_DELAY_MS, MAX_DELAY_MS, parseRetryAfter, RETRY_WINDOW_MS, verdict } from '../../../lambdas/webhooks/retry-policy';

const now = new Date('2030-01-01T00:00:00Z');
const windowEnd = new Date(now.getTime() + RETRY_WINDOW_MS);
const half = () => 0.5;

describe('verdict', () => {
  test('2xx delivered; network, 5xx, 408 and 429 retried; 3xx, other 4xx and refused URLs fail at once', () => {
    for (const status of [200, 201, 204, 299]) expect(verdict({ kind: 'response', status }, 1, now, windowEnd).outcome).toBe('delivered');
    for (const status of [500, 502, 503, 504, 599, 408, 429]) expect(verdict({ kind: 'response', status }, 1, now, windowEnd).outcome).toBe('retry');
    expect(verdict({ kind: 'network' }, 1, now, windowEnd).outcome).toBe('retry');
    for (const status of [301, 302, 400, 401, 403, 404, 410, 422]) expect(verdict({ kind: 'response', status }, 1, now, windowEnd).outcome).toBe('failed');
    expect(verdict({ kind: 'refused' }, 1, now, windowEnd).outcome).toBe('failed');
  });

  test('exponential backoff with jitter, capped at an hour', () => {
    expect(backoffMs(1, () => 0)).toBe(BASE_DELAY_MS / 2);
    expect(backoffMs(1, () => 1)).toBe(BASE_DELAY_MS);
    expect(backoffMs(2, half)).toBe(BASE_DELAY_MS * 1.5);
    expect(backoffMs(3, () => 1)).toBe(BASE_DELAY_MS * 4);
    expect(backoffMs(50, () => 1)).toBe(MAX_DELAY_MS);
    const delays = Array.from({ length: 200 }, () => backoffMs(4));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(BASE_DELAY_MS * 4);
    expect(Math.max(...delays)).toBeLessThanOrEqual(BASE_DELAY_MS * 8);
    expect(new Set(delays).size).toBeGreaterThan(50);
  });

  test('Retry-After (seconds or HTTP date) decides the next attempt', () => {
    const v = verdict({ kind: 'response', status: 429, retryAfter: '120' }, 1, now, windowEnd, half);
    expect(v).toEqual({ outcome: 'retry', nextAttemptAt: new Date(now.getTime() + 120_000) });
    const date = new Date(now.getTime() + 300_000).toUTCString();
    expect(verdict({ kind: 'response', status: 503, retryAfter: date }, 1, now, windowEnd, half)).toEqual({ outcome: 'retry', nextAttemptAt: new Date(now.getTime() + 300_000) });
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  test('retries stop with the 24-hour window: the last attempt falls on its end, then the delivery fails', () => {
    const late = new Date(windowEnd.getTime() - 1_000);
    expect(verdict({ kind: 'network' }, 30, late, windowEnd, half)).toEqual({ outcome: 'retry', nextAttemptAt: windowEnd });
    expect(verdict({ kind: 'network' }, 31, windowEnd, windowEnd, half).outcome).toBe('failed');
  });
});

describe('circuit breaker', () => {
  test(`opens after ${FAILURE_THRESHOLD} consecutive failures, for a while; a success closes it; 4xx says nothing`, () => {
    let state = { consecutiveFailures: 0, openUntil: null as Date | null };
    for (let i = 1; i < FAILURE_THRESHOLD; i++) state = afterAttempt(state, 'failure', now);
    expect(isOpen(state, now)).toBe(false);
    state = afterAttempt(state, 'neutral', now);
    expect(state.consecutiveFailures).toBe(FAILURE_THRESHOLD - 1);
    state = afterAttempt(state, 'failure', now);
    expect(isOpen(state, now)).toBe(true);
    expect(isOpen(state, new Date(now.getTime() + OPEN_MS))).toBe(false);
    // Half-open: one more failure opens it again at once.
    const later = new Date(now.getTime() + OPEN_MS);
    expect(isOpen(afterAttempt(state, 'failure', later), later)).toBe(true);
    expect(afterAttempt(state, 'success', later)).toEqual({ consecutiveFailures: 0, openUntil: null });
  });
});
