import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditEvent } from '../audit/audit-event';

/**
 * Per-invocation counters of the round trips a request makes. The Data API layer and the KMS
 * client bump them; the handler wrapper logs them and tests and benchmarks read them.
 */
export class RequestScope {
  dbStatements = 0;
  kmsCalls = 0;
  readonly startedAt = Date.now();
  /** Audit events whose log lines wait for the request to succeed. */
  readonly auditEvents: AuditEvent[] = [];
}

const storage = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(fn: () => Promise<T>, scope = new RequestScope()): Promise<T> {
  return storage.run(scope, fn);
}

/** The current invocation's scope, or undefined outside one (scripts, migrations). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}
