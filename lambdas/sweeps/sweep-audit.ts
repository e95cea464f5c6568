import { recordAudit } from '../audit/audit-log';
import { SYSTEM_REQUEST } from '../audit/audit-event';
import type { SqlExecutor } from '../platform/db/data-api';

/** One audit event per sweep run that changed something: counts and cutoffs only. */
export async function auditSweep(db: SqlExecutor, sweep: string, detail: Record<string, unknown>, changed: number): Promise<void> {
  if (changed <= 0) return;
  await recordAudit(db, {
    environmentId: null,
    actor: { type: 'system', id: sweep },
    action: 'retention.sweep',
    targetType: 'sweep',
    targetId: sweep,
    outcome: 'success',
    detail,
    request: SYSTEM_REQUEST,
  });
}
