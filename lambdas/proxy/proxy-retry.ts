import type { IncomingHttpHeaders } from 'node:http';
import type { Provider } from '../providers/provider-schema';
import type { ProxyMethod } from './proxy-schema';

/**
 * When a proxied call is tried again and after how long. Pure: the caller passes the clock and the
 * random source. Retried: network errors and timeouts, 5xx, 429, the caller's `Retry-On` statuses
 * and the provider's `proxy.retry.error_code`. Only idempotent methods, unless the caller opts in
 * (`Retry-Non-Idempotent: true`, or an `Idempotency-Key` header sent upstream): a POST that timed
 * out may have been done.
 */

export interface RetryPlan {
  retries: number;
  retryOn: readonly number[];
  method: ProxyMethod;
  unsafeAllowed: boolean;
  hints?: NonNullable<Provider['proxy']>['retry'];
}

export type AttemptOutcome = { status: number; headers: IncomingHttpHeaders } | { error: 'network' | 'timeout' };

const IDEMPOTENT: ReadonlySet<ProxyMethod> = new Set(['GET', 'PUT', 'DELETE']);
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 8_000;

export function isRetryable(outcome: AttemptOutcome, plan: RetryPlan): boolean {
  if (!IDEMPOTENT.has(plan.method) && !plan.unsafeAllowed) return false;
  if ('error' in outcome) return true;
  const { status } = outcome;
  return status >= 500 || status === 429 || plan.retryOn.includes(status) || (plan.hints?.error_code ?? []).includes(status);
}

/**
 * The pause before retry number `attempt + 1` (0-based `attempt` = retries done so far): what the
 * upstream asks for (`Retry-After`, then the provider's `after`/`at` headers, `at` only once
 * `remaining` says nothing is left when the provider names one), else exponential backoff with
 * full jitter. Undefined when no retry is due.
 */
export function retryDelayMs(outcome: AttemptOutcome, attempt: number, plan: RetryPlan, now: number, random: () => number = Math.random): number | undefined {
  if (attempt >= plan.retries || !isRetryable(outcome, plan)) return undefined;
  if (!('error' in outcome)) {
    const asked = askedDelayMs(outcome.headers, plan.hints, now);
    if (asked !== undefined) return asked;
  }
  return Math.round(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

function askedDelayMs(headers: IncomingHttpHeaders, hints: RetryPlan['hints'], now: number): number | undefined {
  const retryAfter = headerValue(headers, 'retry-after');
  if (retryAfter !== undefined) {
    const ms = secondsOrDate(retryAfter, now);
    if (ms !== undefined) return ms;
  }
  if (hints?.after) {
    const after = headerValue(headers, hints.after);
    const seconds = after === undefined ? Number.NaN : Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  }
  if (hints?.at) {
    const remaining = hints.remaining ? headerValue(headers, hints.remaining) : '0';
    const at = headerValue(headers, hints.at);
    if (at !== undefined && remaining !== undefined && Number(remaining) <= 0) {
      const ms = epochOrDate(at, now);
      if (ms !== undefined) return ms;
    }
  }
  return undefined;
}

/** `Retry-After`: delay-seconds or an HTTP date. */
function secondsOrDate(value: string, now: number): number | undefined {
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A reset time: epoch seconds, epoch milliseconds, or a date. */
function epochOrDate(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    const n = Number(trimmed);
    const at = n > 1e12 ? n : n * 1000;
    return Math.max(0, Math.round(at - now));
  }
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
