import { ApiError } from './errors';

export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Requests per key per minute, counted in this container: the cheap first line (no statement per
 * request). API Gateway's stage throttling bounds the total across containers.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();

  constructor(
    readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request for `key`; throws 429 (Nango's `too_many_request`) once the window is used up. */
  take(key: string, method: string, path: string): RateLimitState {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.startedAt >= 60_000) {
      window = { startedAt: now, count: 0 };
      this.windows.set(key, window);
      this.evictStale(now);
    }
    window.count += 1;
    const resetSeconds = Math.max(1, Math.ceil((window.startedAt + 60_000 - now) / 1000));
    const state = { limit: this.limitPerMinute, remaining: Math.max(0, this.limitPerMinute - window.count), resetSeconds };
    if (window.count > this.limitPerMinute) {
      // Nango's 429 body has no message: `{error:{code, method, path}}`.
      throw new ApiError(429, 'too_many_request', undefined, undefined, { 'retry-after': String(resetSeconds), ...rateLimitHeaders(state) }, { method, path });
    }
    return state;
  }

  private evictStale(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [key, w] of this.windows) if (now - w.startedAt >= 60_000) this.windows.delete(key);
  }
}

export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'x-ratelimit-limit': String(state.limit),
    'x-ratelimit-remaining': String(state.remaining),
    'x-ratelimit-reset': String(state.resetSeconds),
  };
}
