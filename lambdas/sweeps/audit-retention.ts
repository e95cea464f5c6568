import { recordAudit } from '../audit/audit-log';
import { SYSTEM_REQUEST } from '../audit/audit-event';
import { deleteAuditEventsBefore } from '../audit/audit-store';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';

export type AuditRetentionResult = {
  auditEventsDeleted: number;
};

/** Deletes audit events older than the retention period, and records that it did (an audit of the audit). */
export async function sweepAuditRetention(db: SqlExecutor, now: Date, retentionDays: number, budget: SweepBudget): Promise<AuditRetentionResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const auditEventsDeleted = await deleteAuditEventsBefore(db, cutoff, budget);
  if (auditEventsDeleted > 0) {
    await recordAudit(db, {
      environmentId: null,
      actor: { type: 'system', id: 'audit-retention' },
      action: 'audit.retention.sweep',
      targetType: 'audit_events',
      targetId: null,
      outcome: 'success',
      detail: { deleted: auditEventsDeleted, cutoff: cutoff.toISOString(), retentionDays },
      request: SYSTEM_REQUEST,
    });
  }
  return { auditEventsDeleted };
}
