import { setTimeout as sleep } from 'node:timers/promises';
import { isRotationAuthenticationFailure } from './credential-rotation';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Whether running a statement twice has the effect of running it once: reads, and writes that
 * converge (an upsert to fixed values, a delete by key, an insert whose id is chosen in code with
 * ON CONFLICT DO NOTHING). The caller states it: nothing here guesses it from the SQL text.
 */
export interface StatementOptions {
  idempotent?: boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 };

/**
 * What a failed call tells about the statement, the one place retries are decided:
 * - `not_executed`: the service refused it before running it (Aurora resuming from auto-pause — HTTP
 *   400 DatabaseResumingException, 15–30 s —, throttling, the connection never opened, a password
 *   rotation in progress): safe to
 *   retry any statement;
 * - `outcome_unknown`: the request may have reached the service and the answer was lost (socket
 *   reset, broken pipe, socket timeout): safe to retry only an idempotent statement;
 * - `final`: anything else (SQL errors, bad requests): never retried.
 */
export type FailureKind = 'not_executed' | 'outcome_unknown' | 'final';

const NOT_EXECUTED_ERRORS = new Set(['DatabaseResumingException', 'ThrottlingException', 'DatabaseUnavailableException']);
/** Socket errors raised before a byte of the request could leave (no connection). */
const NOT_CONNECTED_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Socket errors after the request may have been sent. */
const LOST_ANSWER_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

export function classifyFailure(err: unknown): FailureKind {
  const e = err as { name?: string; code?: string; message?: string };
  const name = e?.name ?? '';
  if (NOT_EXECUTED_ERRORS.has(name)) return 'not_executed';
  // A rotation in progress refuses the login: the statement never ran.
  if (isRotationAuthenticationFailure(err)) return 'not_executed';
  // The SDK re-wraps an error of another realm (as under Jest) as "AWS SDK error wrapper for
  // <name>: <message>", dropping `code`: then the socket error's code is read from the message.
  const code = e?.code ?? (name === 'Error' || name === 'TimeoutError' ? SOCKET_CODE.exec(e?.message ?? '')?.[1] : undefined) ?? '';
  if (NOT_CONNECTED_CODES.has(code)) return 'not_executed';
  // The SDK's connection timeout fires before the socket connects (smithy names it TimeoutError).
  if (/did not establish a connection/.test(e?.message ?? '')) return 'not_executed';
  if (LOST_ANSWER_CODES.has(code) || name === 'TimeoutError') return 'outcome_unknown';
  return 'final';
}

/** A Node socket error code as its message states it ("read ECONNRESET", "connect ECONNREFUSED 127.0.0.1:1"). */
const SOCKET_CODE = /\b(?:read|write|connect|getaddrinfo) (E[A-Z]+)\b/;

/** True when a statement whose call failed with `err` may be sent again. */
export function isRetryable(err: unknown, options: StatementOptions): boolean {
  const kind = classifyFailure(err);
  return kind === 'not_executed' || (kind === 'outcome_unknown' && options.idempotent === true);
}

export async function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy, isRetryable: (err: unknown) => boolean): Promise<T> {
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
