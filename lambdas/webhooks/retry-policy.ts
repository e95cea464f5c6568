/**
 * When a failed webhook attempt is tried again (pure functions of the attempt, the response and
 * an injected `now` and random source, so tests can move time instead of waiting).
 *
 * Retried: network errors and timeouts, 5xx, 408 and 429 — with exponential backoff and jitter,
 * or after `Retry-After` when the receiver sends one — until the delivery's 24-hour window ends
 * (the last attempt falls on its end). Everything else (3xx: we follow no redirect; other 4xx;
 * a URL the outbound policy refuses) fails at once and waits for a replay.
 */

export const RETRY_WINDOW_MS = 24 * 60 * 60 * 1000;
export const BASE_DELAY_MS = 30_000;
export const MAX_DELAY_MS = 60 * 60 * 1000;
/** A Retry-After beyond this is not believed (the window still bounds it). */
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

export type AttemptResult =
  | { kind: 'response'; status: number; retryAfter?: string }
  | { kind: 'network' }
  | { kind: 'refused' };

export type Verdict = { outcome: 'delivered' } | { outcome: 'retry'; nextAttemptAt: Date } | { outcome: 'failed' };

export function isRetryable(result: AttemptResult): boolean {
  if (result.kind === 'network') return true;
  if (result.kind === 'refused') return false;
  return result.status >= 500 || result.status === 408 || result.status === 429;
}

/** Full backoff of the `attempt`-th failure (1-based): base·2^(n-1), capped, with "equal jitter" (half fixed, half random). */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unparsable. */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now.getTime()));
}

export function verdict(result: AttemptResult, attempt: number, now: Date, windowEndsAt: Date, random: () => number = Math.random): Verdict {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) return { outcome: 'delivered' };
  if (!isRetryable(result) || now.getTime() >= windowEndsAt.getTime()) return { outcome: 'failed' };
  const retryAfter = result.kind === 'response' ? parseRetryAfter(result.retryAfter, now) : undefined;
  const delay = retryAfter ?? backoffMs(attempt, random);
  const next = Math.min(now.getTime() + Math.max(1_000, delay), windowEndsAt.getTime());
  return { outcome: 'retry', nextAttemptAt: new Date(next) };
}
