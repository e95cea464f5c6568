import type { AuditActor, AuditRequestInfo } from '../audit/audit-event';
import type { SqlExecutor } from '../platform/db/data-api';
import { takeBatch, type SweepBudget } from '../platform/db/batched-delete';
import { deleteConnectionRow, deleteRecordsOf, detachDeletedEvents } from './connection-delete-store';

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
  let recordsDeleted = 0;
  for (;;) {
    const records = await deleteRecordsOf(db, doomed.id, budget);
    recordsDeleted += records.count;
    if (!records.complete || !takeBatch(budget)) return { recordsDeleted, connectionDeleted: false, endUserDeleted: false, complete: false };
    const final = await deleteRow(db, doomed, now, audit);
    if (final !== 'records_left') return { recordsDeleted, ...final, complete: true };
    // Another run was still deleting some of its records: go on once they are gone.
  }
}

async function deleteRow(
  db: SqlExecutor,
  doomed: DoomedConnection,
  now: Date,
  audit: { actor: AuditActor; request: AuditRequestInfo; reason: 'retention' | 'purge' },
): Promise<{ connectionDeleted: boolean; endUserDeleted: boolean } | 'records_left'> {
  await detachDeletedEvents(db, doomed.id);
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
  const row = await deleteConnectionRow(db, doomed.id, now, audit.reason === 'purge', event);
  if (row.connections === 0 && row.records_left) return 'records_left';
  return { connectionDeleted: row.connections > 0, endUserDeleted: row.end_users > 0 };
}
