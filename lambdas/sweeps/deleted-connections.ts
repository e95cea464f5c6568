import { SYSTEM_REQUEST } from '../audit/audit-event';
import { dueDeletedConnections } from '../connections/connection-delete-store';
import { hardDeleteConnection, type DoomedConnection } from '../connections/connection-hard-delete';
import type { SqlExecutor } from '../platform/db/data-api';
import { takeBatch, type SweepBudget } from '../platform/db/batched-delete';

const CONNECTIONS_PER_LOOKUP = 20;

export type DeletedConnectionsResult = {
  connectionsHardDeleted: number;
  connectionRecordsDeleted: number;
  endUsersDeleted: number;
  deletedConnectionsBudgetExhausted: number;
};

/**
 * Hard-deletes soft-deleted connections once their environment's retention (default 31 days) has
 * passed since the deletion (due at exactly deleted_at + retention), and at once those whose purge
 * was requested. A connection the budget interrupted stays soft-deleted, invisible, and due.
 */
export async function sweepDeletedConnections(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<DeletedConnectionsResult> {
  const result = { connectionsHardDeleted: 0, connectionRecordsDeleted: 0, endUsersDeleted: 0, deletedConnectionsBudgetExhausted: 1 };
  const seen = new Set<string>();
  outer: while (takeBatch(budget)) {
    const due = await dueDeletedConnections(db, now, CONNECTIONS_PER_LOOKUP + seen.size);
    // A completed attempt deletes its row or finds it gone; should one ever stay due, it is not tried
    // again in this run, so the run ends instead of spending its whole budget on that row.
    const fresh = due.filter((c) => !seen.has(c.id));
    if (fresh.length === 0) {
      result.deletedConnectionsBudgetExhausted = 0;
      break;
    }
    for (const c of fresh) {
      seen.add(c.id);
      const doomed: DoomedConnection = { id: c.id, environmentId: c.environment_id, connectionId: c.connection_id, providerConfigKey: c.provider_config_key };
      const outcome = await hardDeleteConnection(db, doomed, now, budget, {
        actor: { type: 'system', id: 'deleted-connections' },
        request: SYSTEM_REQUEST,
        reason: c.purge ? 'purge' : 'retention',
      });
      result.connectionRecordsDeleted += outcome.recordsDeleted;
      result.connectionsHardDeleted += outcome.connectionDeleted ? 1 : 0;
      result.endUsersDeleted += outcome.endUserDeleted ? 1 : 0;
      if (!outcome.complete) break outer;
    }
  }
  return result;
}
