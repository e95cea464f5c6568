import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-invocation counters of the round trips a request makes. The Data API layer and the KMS
 * client bump them; the handler wrapper logs them and tests and benchmarks read them.
 */
export class RequestScope {
  dbStatements = 0;
  kmsCalls = 0;
  readonly startedAt = Date.now();
  /** Open Data API transactions: what is written inside one is only true once it commits. */
  transactionDepth = 0;
  /** Work waiting for the open transaction to commit (audit log lines); dropped on rollback. */
  readonly afterCommit: Array<() => void> = [];
  /** Work for when the request's own work is done (publishing its outbox events), run once by the handler wrapper. */
  readonly afterRequest: Array<() => Promise<void>> = [];
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(fn: () => Promise<T>, scope = new RequestScope()): Promise<T> {
  return storage.run(scope, fn);
}

/** The current invocation's scope, or undefined outside one (scripts, migrations). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Runs `work` once what was just written has committed: at once after an autocommit statement,
 * at the commit of an open transaction (never, if it rolls back).
 */
export function runAfterCommit(work: () => void): void {
  const scope = currentRequestScope();
  if (scope && scope.transactionDepth > 0) scope.afterCommit.push(work);
  else work();
}

/** Queues `work` for the end of the current request; outside a request scope (scripts) it is dropped. */
export function queueAfterRequest(work: () => Promise<void>): void {
  currentRequestScope()?.afterRequest.push(work);
}

/** Runs (once) what the current request queued for its end. */
export async function runAfterRequest(): Promise<void> {
  const scope = currentRequestScope();
  if (!scope) return;
  for (const work of scope.afterRequest.splice(0)) await work();
}
