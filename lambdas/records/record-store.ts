import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { RECORD_BATCH_SIZE, recordsByCtid, runBatches, type SweepBudget } from '../platform/db/batched-delete';
import { json, uuid } from '../platform/db/parameters';

/*
 * SQL of the records cache. Records belong to a connection row; a soft-deleted connection (or one
 * of a deleted integration) has no records to read or write. Every statement is filtered by the
 * caller's environment.
 */

export type LastAction = 'ADDED' | 'UPDATED' | 'DELETED';

/** Public ids of the connection whose records are read or written. */
export interface RecordsTarget {
  environmentId: string;
  providerConfigKey: string;
  connectionId: string;
}

const LIVE = `c.deleted_at IS NULL AND i.id = c.integration_id AND i.deleted_at IS NULL`;

/** The live connection's row id, or undefined. */
export async function findConnectionRow(db: SqlExecutor, target: RecordsTarget): Promise<string | undefined> {
  const [row] = await db.query<{ id: string }>(
    `SELECT c.id FROM connections c, integrations i
      WHERE c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key AND c.connection_id = :connection_id AND ${LIVE}`,
    { environment_id: uuid(target.environmentId), provider_config_key: target.providerConfigKey, connection_id: target.connectionId },
  );
  return row?.id;
}

/** One record of an ingest batch, sealed and hashed by the caller. */
export interface SealedRecord {
  id: string;
  externalId: string;
  payload: Buffer;
  hash: Buffer;
}

export interface IngestBatch {
  environmentId: string;
  connectionRowId: string;
  model: string;
  syncName: string;
  upserts: SealedRecord[];
  /** External ids to mark deleted (disjoint from the upserts). */
  deletes: string[];
}

export interface IngestCounts {
  added: number;
  updated: number;
  unchanged: number;
  deleted: number;
}

/**
 * Writes a batch in ONE statement: upserts (a record whose keyed payload hash is unchanged is not
 * touched, so it keeps its cursor; a deleted or pruned one comes back), delete markers (each moves
 * the record's cursor once), and the sync's last execution time. Undefined when the connection is
 * no longer live (deleted meanwhile).
 */
export async function ingestRecords(db: SqlExecutor, batch: IngestBatch, now: Date, audit?: AuditEvent): Promise<IngestCounts | undefined> {
  const [row] = await runChange<{ found: boolean; added: number; updated: number; deleted: number }>(db, {
    with: `conn AS (
       SELECT c.id FROM connections c, integrations i
        WHERE c.id = :connection_row_id AND c.environment_id = :environment_id AND ${LIVE}
     ), input AS (
       SELECT * FROM jsonb_to_recordset(:records) AS x(id uuid, external_id text, payload text, hash text)
     ), upserted AS (
       INSERT INTO records AS r (id, connection_id, model, external_id, sync_name, payload, payload_hash, first_seen_at, updated_at, last_action)
       SELECT x.id, conn.id, :model, x.external_id, :sync_name, decode(x.payload, 'base64'), decode(x.hash, 'hex'), :now, :now, 'ADDED'
         FROM input x CROSS JOIN conn
       ON CONFLICT (connection_id, model, external_id) DO UPDATE SET
         payload = EXCLUDED.payload, payload_hash = EXCLUDED.payload_hash, sync_name = EXCLUDED.sync_name,
         cursor = nextval('records_cursor_seq'), updated_at = EXCLUDED.updated_at,
         last_action = CASE WHEN r.deleted_at IS NOT NULL THEN 'ADDED' ELSE 'UPDATED' END,
         deleted_at = NULL, pruned_at = NULL
       WHERE r.payload_hash <> EXCLUDED.payload_hash OR r.deleted_at IS NOT NULL OR r.pruned_at IS NOT NULL
       RETURNING (xmax = 0) AS inserted
     ), removed AS (
       UPDATE records r SET deleted_at = :now, updated_at = :now, last_action = 'DELETED', cursor = nextval('records_cursor_seq')
         FROM conn
        WHERE r.connection_id = conn.id AND r.model = :model AND r.deleted_at IS NULL
          AND r.external_id IN (SELECT jsonb_array_elements_text(:deletes))
       RETURNING 1
     ), sync AS (
       INSERT INTO syncs (connection_id, name, last_executed_at) SELECT conn.id, :sync_name, :now FROM conn
       ON CONFLICT (connection_id, name) DO UPDATE SET last_executed_at = EXCLUDED.last_executed_at
        WHERE syncs.last_executed_at < EXCLUDED.last_executed_at
     )`,
    select: `SELECT EXISTS (SELECT 1 FROM conn) AS found,
            (SELECT count(*) FROM upserted WHERE inserted)::int AS added,
            (SELECT count(*) FROM upserted WHERE NOT inserted)::int AS updated,
            (SELECT count(*) FROM removed)::int AS deleted`,
    params: {
      connection_row_id: uuid(batch.connectionRowId),
      environment_id: uuid(batch.environmentId),
      model: batch.model,
      sync_name: batch.syncName,
      records: json(batch.upserts.map((r) => ({ id: r.id, external_id: r.externalId, payload: r.payload.toString('base64'), hash: r.hash.toString('hex') }))),
      deletes: json(batch.deletes),
      now,
    },
    when: 'EXISTS (SELECT 1 FROM conn)',
    happened: ([r]) => r.found,
    audit,
    auditTargetSql: '(SELECT id::text FROM conn)',
  });
  if (!row.found) return undefined;
  return { added: row.added, updated: row.updated, unchanged: batch.upserts.length - row.added - row.updated, deleted: row.deleted };
}

export interface RecordRow {
  id: string;
  external_id: string;
  payload: Buffer | null;
  cursor: number;
  first_seen_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
  pruned_at: Date | null;
  last_action: LastAction;
}

export interface RecordQuery {
  model: string;
  /** Sequence number to continue after (0: from the start). */
  after: number;
  modifiedAfter?: Date;
  actions: LastAction[];
  ids: string[];
  limit: number;
}

/**
 * The Data API refuses responses over 1 MiB: a page stops early once its rows' estimated size
 * (payload bytes, base64-encoded on the wire, plus the other columns) reaches this, and the
 * caller follows `next_cursor` as for any page.
 */
export const PAGE_BYTE_BUDGET = 800_000;
const ROW_OVERHEAD_BYTES = 600;

export type RecordPage = { found: false } | { found: true; rows: RecordRow[]; more: boolean };

/** ONE statement: the connection by its public ids and a page of its records in change order. */
export async function listRecords(db: SqlExecutor, target: RecordsTarget, q: RecordQuery): Promise<RecordPage> {
  const rows = await db.query<RecordRow & { found: boolean; fetched: number }>(
    `WITH conn AS (
       SELECT c.id FROM connections c, integrations i
        WHERE c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key AND c.connection_id = :connection_id AND ${LIVE}
     ), page AS (
       SELECT r.id, r.external_id, r.payload, r.cursor, r.first_seen_at, r.updated_at, r.deleted_at, r.pruned_at, r.last_action,
              (coalesce(octet_length(r.payload), 0) * 4 / 3 + octet_length(r.external_id) * 2 + ${ROW_OVERHEAD_BYTES}) AS size
         FROM records r JOIN conn ON r.connection_id = conn.id
        WHERE r.model = :model AND r.cursor > :after
          AND (CAST(:modified_after AS timestamptz) IS NULL OR r.updated_at > CAST(:modified_after AS timestamptz))
          AND (jsonb_array_length(:actions) = 0 OR r.last_action IN (SELECT jsonb_array_elements_text(:actions)))
          AND (jsonb_array_length(:ids) = 0 OR r.external_id IN (SELECT jsonb_array_elements_text(:ids)))
        ORDER BY r.cursor
        LIMIT :fetch
     ), sized AS (
       SELECT page.*, sum(size) OVER (ORDER BY cursor) - size AS before FROM page
     )
     SELECT EXISTS (SELECT 1 FROM conn) AS found, (SELECT count(*) FROM page)::int AS fetched,
            s.id, s.external_id, s.payload, s.cursor, s.first_seen_at, s.updated_at, s.deleted_at, s.pruned_at, s.last_action
       FROM (SELECT 1) AS one
       LEFT JOIN sized s ON s.before < :byte_budget
      ORDER BY s.cursor`,
    {
      environment_id: uuid(target.environmentId),
      provider_config_key: target.providerConfigKey,
      connection_id: target.connectionId,
      model: q.model,
      after: q.after,
      modified_after: q.modifiedAfter ?? null,
      actions: json(q.actions),
      ids: json(q.ids),
      fetch: q.limit + 1,
      byte_budget: PAGE_BYTE_BUDGET,
    },
  );
  if (!rows[0].found) return { found: false };
  const page = rows.filter((r) => r.id !== null);
  const fetched = rows[0].fetched;
  const kept = page.slice(0, q.limit);
  return { found: true, rows: kept, more: fetched > kept.length };
}

/** Drops the payload of records not updated since `cutoff` (sets `pruned_at`), in batches within the budget. */
export function pruneRecordsBefore(db: SqlExecutor, now: Date, cutoff: Date, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  return runBatches(
    db,
    `UPDATE records SET payload = NULL, pruned_at = :now WHERE ${recordsByCtid('pruned_at IS NULL AND updated_at <= :cutoff')}`,
    { now, cutoff },
    budget.recordBatchSize ?? RECORD_BATCH_SIZE,
    budget,
  );
}
