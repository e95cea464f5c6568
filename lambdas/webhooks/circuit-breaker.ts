/**
 * Per-URL circuit breaker: after FAILURE_THRESHOLD consecutive retryable failures a URL gets no
 * attempt for OPEN_MS; then one batch probes it (half-open): a success closes it, a failure
 * opens it again. The state lives in `webhook_circuits`, so every invocation shares it; one
 * invocation also tracks it in memory so a dead receiver stops getting a batch's remaining events.
 */
export const FAILURE_THRESHOLD = 5;
export const OPEN_MS = 5 * 60 * 1000;

export interface CircuitState {
  consecutiveFailures: number;
  openUntil: Date | null;
}

export function isOpen(state: CircuitState, now: Date): boolean {
  return state.openUntil !== null && state.openUntil.getTime() > now.getTime();
}

/** The state after one attempt: success closes; a retryable failure counts and may open. Other failures say nothing about the URL. */
export function afterAttempt(state: CircuitState, result: 'success' | 'failure' | 'neutral', now: Date): CircuitState {
  if (result === 'success') return { consecutiveFailures: 0, openUntil: null };
  if (result === 'neutral') return state;
  const consecutiveFailures = state.consecutiveFailures + 1;
  return { consecutiveFailures, openUntil: consecutiveFailures >= FAILURE_THRESHOLD ? new Date(now.getTime() + OPEN_MS) : state.openUntil };
}
