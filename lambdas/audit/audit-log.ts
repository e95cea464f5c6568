import type { SqlExecutor } from '../platform/db/data-api';
import { runChange } from '../platform/db/change-statement';
import type { AuditEvent } from './audit-event';

/*
 * The audit log: append-only rows in `audit_events`, written in the same transaction (or the same
 * statement, through platform/db/change-statement.ts) as what they record, and the same events as
 * JSON log lines once that work has committed, for CloudWatch Logs subscriptions.
 */

/** Writes one event as its own statement (inside the caller's transaction when given one). */
export async function recordAudit(db: SqlExecutor, event: AuditEvent): Promise<void> {
  await runChange(db, { when: 'true', audit: event });
}
