import { AsyncLocalStorage } from 'node:async_hooks';
import type { OutboxEvent } from '../events/outbox';

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
  /** Outbox events written by this request, published to the bus once it has succeeded. */
  readonly outboxEvents: OutboxEvent[] = [];
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(fn: () => Promise<T>, scope = new RequestScope()): Promise<T> {
  return storage.run(scope, fn);
}

/** The current invocation's scope, or undefined outside one (scripts, migrations). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}
