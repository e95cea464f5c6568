import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Aurora Serverless v2 answers DatabaseResumingException (HTTP 400) while it wakes from auto-pause,
 * which takes 15–30 s; the SDK does not retry 400s, so we do. Throttling is retried by the SDK
 * already, but a burst can outlast its three attempts.
 */
export const RETRYABLE_DATA_API_ERRORS = new Set(['DatabaseResumingException', 'ThrottlingException', 'DatabaseUnavailableException']);

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 };

export async function withRetry<T>(
  fn: () => Promise<T>,
  policy: RetryPolicy,
  isRetryable: (err: unknown) => boolean,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= policy.maxAttempts || !isRetryable(err)) throw err;
      // Full jitter: spreads the retries of many Lambdas waking one cluster.
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      await sleep(Math.random() * ceiling);
    }
  }
}

export function isRetryableDataApiError(err: unknown): boolean {
  return RETRYABLE_DATA_API_ERRORS.has((err as { name?: string })?.name ?? '');
}
