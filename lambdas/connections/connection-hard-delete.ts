import { auditClause, emitAfterCommit } from '../audit/audit-log';
import type { AuditActor, AuditRequestInfo } from '../audit/audit-event';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import { DELETE_BATCH_SIZE, recordsByCtid, runBatches, takeBatch, type SweepBudget } from '../platform/db/batched-delete';

/** A soft-deleted connection row to remove for good. */
export interface DoomedConnection {
  id: string;
  environmentId: string;
  connectionId: string;
  providerConfigKey: string;
}

export interface HardDeleteOutcome {
  recordsDeleted: number;
  connectionDeleted: boolean;
  endUserDeleted: boolean;
  /** False when the budget ran out first: the connection (still soft-deleted) is finished by a later run. */
  complete: boolean;
}

/**
 * Hard-deletes a soft-deleted connection: its records in batches first (a connection may hold
 * millions; each batch is one short statement, so an interrupted run simply leaves fewer for the
 * next), then in one statement the row itself (credentials, metadata; sync runs, syncs and outbox
 * rows cascade) and its end user when no other connection uses it, with the audit event. A
 * retention delete keeps an end user a live connect session still names (the end-users sweep takes
 * it later); a purge erases it at once, ending those sessions with it (they cascade). Pending
 * `connection.deleted` events are detached from the row first so the deletion webhook still goes
 * out. Safe to run twice at once: batches skip each other's rows, and only one final delete finds the row.
 */
export async function hardDeleteConnection(
  db: SqlExecutor,
  doomed: DoomedConnection,
  now: Date,
  budget: SweepBudget,
  audit: { actor: AuditActor; request: AuditRequestInfo; reason: 'retention' | 'purge' },
): Promise<HardDeleteOutcome> {
  const id = uuid(doomed.id);
  let recordsDeleted = 0;
  for (;;) {
    const records = await runBatches(
      db,
      `DELETE FROM records WHERE ${recordsByCtid('connection_id = :id AND EXISTS (SELECT 1 FROM connections c WHERE c.id = :id AND c.deleted_at IS NOT NULL)', 'none')}`,
      { id },
      budget.recordBatchSize ?? DELETE_BATCH_SIZE,
      budget,
    );
    recordsDeleted += records.count;
    if (!records.complete || !takeBatch(budget)) return { recordsDeleted, connectionDeleted: false, endUserDeleted: false, complete: false };
    const final = await deleteRow(db, doomed, id, now, audit);
    if (final !== 'records_left') return { recordsDeleted, ...final, complete: true };
    // Another run was still deleting some of its records: go on once they are gone.
  }
}

async function deleteRow(
  db: SqlExecutor,
  doomed: DoomedConnection,
  id: ReturnType<typeof uuid>,
  now: Date,
  audit: { actor: AuditActor; request: AuditRequestInfo; reason: 'retention' | 'purge' },
): Promise<{ connectionDeleted: boolean; endUserDeleted: boolean } | 'records_left'> {
  await db.execute(
    `UPDATE outbox SET connection_id = NULL
      WHERE connection_id = :id AND event_type = 'connection.deleted' AND status IN ('pending', 'published')`,
    { id },
  );
  const event = {
    environmentId: doomed.environmentId,
    actor: audit.actor,
    action: 'connection.hard_delete' as const,
    targetType: 'connection',
    targetId: null,
    outcome: 'success' as const,
    detail: { connection_id: doomed.connectionId, provider_config_key: doomed.providerConfigKey, reason: audit.reason },
    request: audit.request,
  };
  const clause = auditClause(event, 'EXISTS (SELECT 1 FROM gone)', '(SELECT id::text FROM gone)');
  // Never a cascade over many records: the row goes only once its records are gone.
  const [row] = await db.query<{ connections: number; end_users: number; records_left: boolean }>(
    `WITH gone AS (
       DELETE FROM connections c WHERE c.id = :id AND c.deleted_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM records r WHERE r.connection_id = :id)
       RETURNING c.id, c.end_user_id
     ), eu AS (
       DELETE FROM end_users e USING gone
        WHERE e.id = gone.end_user_id
          AND NOT EXISTS (SELECT 1 FROM connections o WHERE o.end_user_id = e.id AND o.id <> gone.id)
          AND (:purge OR NOT EXISTS (SELECT 1 FROM connect_sessions s WHERE s.end_user_id = e.id AND s.expires_at > :now))
       RETURNING e.id
     )${clause.sql}
     SELECT (SELECT count(*) FROM gone)::int AS connections, (SELECT count(*) FROM eu)::int AS end_users,
            EXISTS (SELECT 1 FROM records r WHERE r.connection_id = :id) AS records_left`,
    { id, now, purge: audit.reason === 'purge', ...clause.params },
  );
  if (row.connections > 0) emitAfterCommit(event);
  else if (row.records_left) return 'records_left';
  return { connectionDeleted: row.connections > 0, endUserDeleted: row.end_users > 0 };
}
