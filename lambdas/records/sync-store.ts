import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { recordsByCtid, runBatches, type SweepBudget } from '../platform/db/batched-delete';
import { uuid } from '../platform/db/parameters';
import type { RecordsTarget } from './record-store';

/*
 * Runs of a customer's sync job, per connection and sync name. Each run moves the sync's
 * `last_executed_at` (never backwards), which the 60-day rule reads; a successful one also
 * `last_success_at`.
 */

export type RunStatus = 'running' | 'success' | 'error';

export interface SyncRunRow {
  id: string;
  sync_name: string;
  status: RunStatus | 'cancelled';
  started_at: Date;
  finished_at: Date | null;
  last_success_at: Date | null;
}

const LIVE_BY_PUBLIC_IDS = `c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key AND c.connection_id = :connection_id
  AND c.deleted_at IS NULL AND i.id = c.integration_id AND i.deleted_at IS NULL`;

/** Records a run (ONE statement); undefined when there is no such live connection. */
export async function recordSyncRun(
  db: SqlExecutor,
  target: RecordsTarget,
  run: { syncName: string; status: RunStatus; startedAt: Date; finishedAt: Date | null },
  audit?: AuditEvent,
): Promise<SyncRunRow | undefined> {
  const [row] = await runChange<SyncRunRow>(db, {
    with: `conn AS (
       SELECT c.id FROM connections c, integrations i WHERE ${LIVE_BY_PUBLIC_IDS}
     ), run AS (
       INSERT INTO sync_runs (id, connection_id, sync_name, status, started_at, finished_at)
       SELECT :id, conn.id, :sync_name, :status, :started_at, CAST(:finished_at AS timestamptz) FROM conn
       RETURNING *
     ), sync AS (
       INSERT INTO syncs AS s (connection_id, name, last_executed_at, last_success_at)
       SELECT conn.id, :sync_name, :started_at, CASE WHEN :status = 'success' THEN CAST(:finished_at AS timestamptz) END FROM conn
       ON CONFLICT (connection_id, name) DO UPDATE SET
         last_executed_at = GREATEST(s.last_executed_at, EXCLUDED.last_executed_at),
         last_success_at = GREATEST(s.last_success_at, EXCLUDED.last_success_at)
       RETURNING s.last_success_at
     )`,
    select: 'SELECT run.id, run.sync_name, run.status, run.started_at, run.finished_at, sync.last_success_at FROM run, sync',
    params: {
      ...publicIds(target),
      id: uuid(randomUUID()),
      sync_name: run.syncName,
      status: run.status,
      started_at: run.startedAt,
      finished_at: run.finishedAt,
    },
    when: 'EXISTS (SELECT 1 FROM run)',
    audit,
    auditTargetSql: '(SELECT id::text FROM run)',
  });
  return row;
}

/**
 * Ends a running run of the environment's live connection (ONE statement). `not_found` when the
 * run is unknown (or another environment's, or its connection is gone); `not_running` when it has
 * already ended.
 */
export async function finishSyncRun(
  db: SqlExecutor,
  environmentId: string,
  runId: string,
  status: 'success' | 'error',
  now: Date,
  audit?: AuditEvent,
): Promise<SyncRunRow | 'not_found' | 'not_running'> {
  const [row] = await runChange<SyncRunRow & { exists: boolean }>(db, {
    with: `target AS (
       SELECT r.id, r.connection_id, r.sync_name, r.status FROM sync_runs r
         JOIN connections c ON c.id = r.connection_id AND c.environment_id = :environment_id AND c.deleted_at IS NULL
         JOIN integrations i ON i.id = c.integration_id AND i.deleted_at IS NULL
        WHERE r.id = :id
     ), run AS (
       UPDATE sync_runs r SET status = :status, finished_at = :now FROM target t
        WHERE r.id = t.id AND r.status = 'running'
       RETURNING r.*
     ), sync AS (
       UPDATE syncs s SET last_success_at = GREATEST(s.last_success_at, :now), last_executed_at = GREATEST(s.last_executed_at, :now)
         FROM run WHERE :status = 'success' AND s.connection_id = run.connection_id AND s.name = run.sync_name
       RETURNING s.last_success_at
     )`,
    select: `SELECT EXISTS (SELECT 1 FROM target) AS exists, run.id, run.sync_name, run.status, run.started_at, run.finished_at,
            COALESCE((SELECT last_success_at FROM sync), (SELECT s.last_success_at FROM syncs s, run r2 WHERE s.connection_id = r2.connection_id AND s.name = r2.sync_name)) AS last_success_at
       FROM (SELECT 1) AS one LEFT JOIN run ON true`,
    params: { environment_id: uuid(environmentId), id: uuid(runId), status, now },
    when: 'EXISTS (SELECT 1 FROM run)',
    happened: ([r]) => r.exists && r.id !== null,
    audit,
    auditTargetSql: '(SELECT id::text FROM run)',
  });
  if (!row.exists) return 'not_found';
  if (row.id === null) return 'not_running';
  return row;
}

function publicIds(target: RecordsTarget) {
  return { environment_id: uuid(target.environmentId), provider_config_key: target.providerConfigKey, connection_id: target.connectionId };
}

/** A sync, by its connection row and name. */
export interface SyncKey {
  connection_id: string;
  name: string;
}

/** Syncs last executed at or before `cutoff` that still have records, oldest first. */
export function findStaleSyncs(db: SqlExecutor, cutoff: Date, limit: number): Promise<SyncKey[]> {
  return db.query<SyncKey>(
    `SELECT s.connection_id, s.name FROM syncs s
      WHERE s.last_executed_at <= :cutoff
        AND EXISTS (SELECT 1 FROM records r WHERE r.connection_id = s.connection_id AND r.sync_name = s.name)
      ORDER BY s.last_executed_at LIMIT :limit`,
    { cutoff, limit },
  );
}

/** The sync as statement parameters, with the staleness every statement re-checks. */
const staleSync = (sync: SyncKey, cutoff: Date) => ({ connection_id: uuid(sync.connection_id), sync_name: sync.name, cutoff });
const STILL_STALE = 'EXISTS (SELECT 1 FROM syncs s WHERE s.connection_id = :connection_id AND s.name = :sync_name AND s.last_executed_at <= :cutoff)';

/** Deletes the sync's records in batches within the budget, each batch only while the sync is still stale. */
export function deleteStaleSyncRecords(db: SqlExecutor, sync: SyncKey, cutoff: Date, batchSize: number, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  return runBatches(
    db,
    `DELETE FROM records WHERE ${recordsByCtid(`connection_id = :connection_id AND sync_name = :sync_name AND ${STILL_STALE}`, 'none')}`,
    staleSync(sync, cutoff),
    batchSize,
    budget,
  );
}

/** Records that the stale sync's records were reset; 0 when it ran again meanwhile. */
export async function markSyncReset(db: SqlExecutor, sync: SyncKey, cutoff: Date, now: Date): Promise<number> {
  const { rowsAffected } = await db.execute(
    'UPDATE syncs SET records_reset_at = :now WHERE connection_id = :connection_id AND name = :sync_name AND last_executed_at <= :cutoff',
    { ...staleSync(sync, cutoff), now },
  );
  return rowsAffected;
}
