import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { DELETE_BATCH_SIZE, recordsByCtid, runBatches, type SweepBudget } from '../platform/db/batched-delete';
import { uuid } from '../platform/db/parameters';
import type { ConnectionKey } from './connection-store';

/**
 * SQL that removes connections for good (connection-hard-delete.ts, connection-purge.ts): the
 * purge mark, a connection's records in batches, the row itself with its end user, and the
 * pseudonymising of what outlives it.
 */

/** Marks the soft-deleted connections with these public ids for purging, audited; their row ids (none: nothing to purge). */
export async function markForPurge(db: SqlExecutor, key: ConnectionKey, now: Date, audit: AuditEvent): Promise<string[]> {
  const marked = await runChange<{ id: string }>(db, {
    with: `marked AS (
       UPDATE connections SET purge_requested_at = COALESCE(purge_requested_at, :now)
        WHERE environment_id = :environment_id AND provider_config_key = :provider_config_key AND connection_id = :connection_id
          AND deleted_at IS NOT NULL
       RETURNING id
     )`,
    select: 'SELECT id FROM marked',
    params: { environment_id: uuid(key.environmentId), provider_config_key: key.providerConfigKey, connection_id: key.connectionId, now },
    when: 'EXISTS (SELECT 1 FROM marked)',
    audit,
    auditTargetSql: '(SELECT min(id::text) FROM marked)',
  });
  return marked.map((row) => row.id);
}

/** Deletes a soft-deleted connection's records in batches, within the budget. */
export function deleteRecordsOf(db: SqlExecutor, rowId: string, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  return runBatches(
    db,
    `DELETE FROM records WHERE ${recordsByCtid('connection_id = :id AND EXISTS (SELECT 1 FROM connections c WHERE c.id = :id AND c.deleted_at IS NOT NULL)', 'none')}`,
    { id: uuid(rowId) },
    budget.recordBatchSize ?? DELETE_BATCH_SIZE,
    budget,
  );
}

/** Detaches pending `connection.deleted` events from the row, so the deletion webhook outlives it. */
export async function detachDeletedEvents(db: SqlExecutor, rowId: string): Promise<void> {
  await db.execute(
    `UPDATE outbox SET connection_id = NULL
      WHERE connection_id = :id AND event_type = 'connection.deleted' AND status IN ('pending', 'published')`,
    { id: uuid(rowId) },
  );
}

/**
 * Deletes the soft-deleted row once its records are gone (never a cascade over many records), and
 * its end user when no other connection uses it (`purge`: even if a live connect session names
 * it), with the audit event, in one statement.
 */
export async function deleteConnectionRow(
  db: SqlExecutor,
  rowId: string,
  now: Date,
  purge: boolean,
  audit: AuditEvent,
): Promise<{ connections: number; end_users: number; records_left: boolean }> {
  const id = uuid(rowId);
  const [row] = await runChange<{ connections: number; end_users: number; records_left: boolean }>(db, {
    with: `gone AS (
       DELETE FROM connections c WHERE c.id = :id AND c.deleted_at IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM records r WHERE r.connection_id = :id)
       RETURNING c.id, c.end_user_id
     ), eu AS (
       DELETE FROM end_users e USING gone
        WHERE e.id = gone.end_user_id
          AND NOT EXISTS (SELECT 1 FROM connections o WHERE o.end_user_id = e.id AND o.id <> gone.id)
          AND (:purge OR NOT EXISTS (SELECT 1 FROM connect_sessions s WHERE s.end_user_id = e.id AND s.expires_at > :now))
       RETURNING e.id
     )`,
    select: `SELECT (SELECT count(*) FROM gone)::int AS connections, (SELECT count(*) FROM eu)::int AS end_users,
            EXISTS (SELECT 1 FROM records r WHERE r.connection_id = :id) AS records_left`,
    params: { id, now, purge },
    when: 'EXISTS (SELECT 1 FROM gone)',
    happened: ([r]) => r.connections > 0,
    audit,
    auditTargetSql: '(SELECT id::text FROM gone)',
  });
  return row;
}

/** What a pseudonymised field holds from then on. */
const ERASED = '[erased]';

/** Where webhook bodies (outbox payloads) hold an end user's e-mail or name. */
const BODY_PATHS = ['{endUser,endUserEmail}', '{endUser,endUserDisplayName}', '{tags,end_user_email}', '{tags,end_user_display_name}'];
/** Where audit details could hold them (none today: details hold ids; kept erasable all the same). */
const DETAIL_PATHS = ['{email}', '{display_name}', '{end_user_email}', '{end_user_display_name}'];

/**
 * `doc` with each path that holds a value replaced by ERASED; a missing path stays missing
 * (jsonb_set without create_missing) and a JSON null stays null.
 */
function erasedSql(doc: string, paths: readonly string[]): string {
  return paths.reduce(
    (acc, path) => `jsonb_set(${acc}, '${path}', CASE WHEN ${doc} #>> '${path}' IS NULL THEN COALESCE(${doc} #> '${path}', 'null'::jsonb) ELSE to_jsonb(:erased::text) END, false)`,
    doc,
  );
}

const holdsAny = (doc: string, paths: readonly string[]) => paths.map((path) => `${doc} #>> '${path}' IS NOT NULL`).join(' OR ');

/**
 * At a purge, the end user's e-mail and display name go from what outlives the connection: its
 * webhook bodies (delivered, dead or still pending — the purge's own `connection.deleted` event
 * included) until webhook retention, and its audit details until audit retention. Ids stay (the
 * connection id, the customer's end-user id, row ids): an auditor needs to know what was erased,
 * and when, and by whom. One statement; returns how many rows changed.
 */
export async function erasePersonalData(db: SqlExecutor, key: ConnectionKey): Promise<{ webhookBodies: number; auditDetails: number }> {
  const [row] = await db.query<{ webhook_bodies: number; audit_details: number }>(
    `WITH bodies AS (
       UPDATE outbox o SET payload = ${erasedSql('o.payload', BODY_PATHS)}
        WHERE o.environment_id = :environment_id AND o.payload->>'connectionId' = :connection_id
          AND o.payload->>'providerConfigKey' = :provider_config_key AND (${holdsAny('o.payload', BODY_PATHS)})
       RETURNING 1
     ), details AS (
       UPDATE audit_events a SET detail = ${erasedSql('a.detail', DETAIL_PATHS)}
        WHERE a.environment_id = :environment_id AND a.detail->>'connection_id' = :connection_id
          AND a.detail->>'provider_config_key' = :provider_config_key AND (${holdsAny('a.detail', DETAIL_PATHS)})
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM bodies)::int AS webhook_bodies, (SELECT count(*) FROM details)::int AS audit_details`,
    { environment_id: uuid(key.environmentId), connection_id: key.connectionId, provider_config_key: key.providerConfigKey, erased: ERASED },
  );
  return { webhookBodies: row.webhook_bodies, auditDetails: row.audit_details };
}

/** Soft-deletes live connections of deleted integrations, as of the integration's deletion, in batches within the budget. */
export function retireOrphanConnections(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  return runBatches(
    db,
    `UPDATE connections c SET deleted_at = i.deleted_at, updated_at = :now
       FROM integrations i
      WHERE i.id = c.integration_id AND c.id IN (
        SELECT c2.id FROM connections c2 JOIN integrations i2 ON i2.id = c2.integration_id
         WHERE c2.deleted_at IS NULL AND i2.deleted_at IS NOT NULL AND i2.deleted_at <= :now
         LIMIT :batch_size FOR UPDATE OF c2 SKIP LOCKED)`,
    { now },
    budget.batchSize,
    budget,
  );
}

/** A soft-deleted connection due for hard deletion (retention passed, or purge requested). */
export interface DueDeletion {
  id: string;
  environment_id: string;
  connection_id: string;
  provider_config_key: string;
  purge: boolean;
}

/** The next soft-deleted connections due for hard deletion, oldest deletion first. */
export function dueDeletedConnections(db: SqlExecutor, now: Date, limit: number): Promise<DueDeletion[]> {
  return db.query<DueDeletion>(
    `SELECT c.id, c.environment_id, c.connection_id, c.provider_config_key, c.purge_requested_at IS NOT NULL AS purge
       FROM connections c JOIN environments e ON e.id = c.environment_id
      WHERE c.deleted_at IS NOT NULL
        AND (c.purge_requested_at IS NOT NULL OR c.deleted_at + make_interval(days => e.connection_retention_days) <= :now)
      ORDER BY c.deleted_at, c.id
      LIMIT :limit`,
    { now, limit },
  );
}
