import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { runBatches, type SweepBudget } from '../platform/db/batched-delete';
import { json, toTextArray, uuid, type Parameters, type SqlValue } from '../platform/db/parameters';
import { CUSTOM_PROVIDER_COLUMNS, type CustomProviderColumns } from './provider-facts';
import type { KeysetCursor } from '../platform/db/keyset-cursor';
import { budgetedStatement, statementParams, statementRows } from '../platform/db/statement-page';

/**
 * SQL of the `integrations` table. Every statement is scoped to one environment; live rows are
 * those with `deleted_at IS NULL` (the unique index on (environment_id, unique_key) covers only
 * those, so a deleted integration's key can be reused).
 */

export interface IntegrationRow extends CustomProviderColumns {
  id: string;
  unique_key: string;
  provider: string;
  display_name: string | null;
  client_id: string | null;
  scopes: string[] | null;
  app_id: string | null;
  app_link: string | null;
  forward_webhooks: boolean;
  /** Hosts end users may choose (see providers/host-choice.ts). */
  allowed_hosts: string[];
  created_at: Date;
  updated_at: Date;
  /** Envelope of the secrets document; selected only when asked for. */
  client_secret?: Buffer | null;
}

/** Everything a create or update may set. */
export interface IntegrationValues {
  unique_key: string;
  provider: string;
  display_name: string | null;
  client_id: string | null;
  client_secret: Buffer | null;
  scopes: string[] | null;
  app_id: string | null;
  app_link: string | null;
  forward_webhooks: boolean;
  integration_config: Record<string, string>;
  custom: Record<string, string>;
  allowed_hosts: string[];
}

const PLAIN = `i.id, i.unique_key, i.provider, i.display_name, i.client_id, i.scopes, i.app_id, i.app_link, i.forward_webhooks, i.allowed_hosts,
  i.created_at, i.updated_at, ${CUSTOM_PROVIDER_COLUMNS}`;
const WITH_SECRET = `${PLAIN}, i.client_secret`;
const JOIN_PROVIDER = 'LEFT JOIN providers p ON p.environment_id = i.environment_id AND p.name = i.provider';

/**
 * One statement of the live integrations in creation order (ties by id; index
 * integrations_listing) within the statement budget: up to `rows` after `after`, and whether more
 * follow. With a connect session, only those its `allowed_integrations` permit (all when it has none).
 */
export async function listIntegrations(
  db: SqlExecutor,
  environmentId: string,
  connectSessionId: string | undefined,
  after: KeysetCursor | undefined,
  rows: number,
): Promise<{ rows: (IntegrationRow & { cursor_at: string })[]; more: boolean }> {
  const sessionFilter = connectSessionId
    ? `AND EXISTS (SELECT 1 FROM connect_sessions s WHERE s.id = :session_id AND s.environment_id = i.environment_id
                     AND (s.allowed_integrations IS NULL OR i.unique_key = ANY (s.allowed_integrations)))`
    : '';
  const found = await db.query<IntegrationRow & { cursor_at: string; fetched: number }>(
    budgetedStatement(
      `SELECT ${PLAIN}, to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at,
              6 * (octet_length(i.unique_key) + octet_length(i.provider) + coalesce(octet_length(i.display_name), 0)
                   + coalesce(octet_length(i.client_id), 0) + coalesce(octet_length(i.app_id), 0) + coalesce(octet_length(i.app_link), 0)
                   + coalesce(octet_length(array_to_string(i.scopes, ',')), 0) + coalesce(octet_length(array_to_string(i.allowed_hosts, ',')), 0)
                   + coalesce(octet_length(p.definition::text), 0)) + ${INTEGRATION_ROW_FIXED_BYTES} AS row_bytes
         FROM integrations i ${JOIN_PROVIDER}
        WHERE i.environment_id = :environment_id AND i.deleted_at IS NULL ${sessionFilter}
          AND (CAST(:cursor_at AS timestamptz) IS NULL OR (i.created_at, i.id) > (CAST(:cursor_at AS timestamptz), CAST(:cursor_id AS uuid)))
        ORDER BY i.created_at, i.id LIMIT :fetch`,
      'created_at, id',
    ),
    {
      environment_id: uuid(environmentId),
      ...(connectSessionId ? { session_id: uuid(connectSessionId) } : {}),
      cursor_at: after?.at ?? null,
      cursor_id: after?.id ?? null,
      ...statementParams(rows, INTEGRATION_ROW_FIXED_BYTES),
    },
    { idempotent: true },
  );
  return statementRows(found, rows, INTEGRATION_ROW_FIXED_BYTES);
}

/** A row's share of a statement besides its text (see statement-page.ts). */
const INTEGRATION_ROW_FIXED_BYTES = 768;

/** With `withSecret`, pass the credential read's audit event: it is written in the same statement. */
export async function getIntegration(
  db: SqlExecutor,
  environmentId: string,
  uniqueKey: string,
  options: { withSecret?: boolean; audit?: AuditEvent } = {},
): Promise<IntegrationRow | undefined> {
  const [row] = await runChange<IntegrationRow>(db, {
    with: `found AS (
       SELECT i.* FROM integrations i WHERE i.environment_id = :environment_id AND i.unique_key = :unique_key AND i.deleted_at IS NULL
     )`,
    select: `SELECT ${options.withSecret ? WITH_SECRET : PLAIN} FROM found i ${JOIN_PROVIDER}`,
    params: { environment_id: uuid(environmentId), unique_key: uniqueKey },
    when: 'EXISTS (SELECT 1 FROM found)',
    audit: options.audit,
    auditTargetSql: '(SELECT id::text FROM found)',
  });
  return row;
}

export interface IntegrationForUpdate extends IntegrationRow {
  /** Another live integration already has the requested new key. */
  new_key_taken: boolean;
  has_live_connections: boolean;
}

/** The row a PATCH starts from, with what a rename must know, in one statement. */
export async function getIntegrationForUpdate(db: SqlExecutor, environmentId: string, uniqueKey: string, newKey: string | null): Promise<IntegrationForUpdate | undefined> {
  const [row] = await db.query<IntegrationForUpdate>(
    `SELECT ${WITH_SECRET},
            EXISTS (SELECT 1 FROM integrations o WHERE o.environment_id = i.environment_id AND o.unique_key = :new_key
                       AND o.deleted_at IS NULL AND o.id <> i.id) AS new_key_taken,
            EXISTS (SELECT 1 FROM connections c WHERE c.integration_id = i.id AND c.deleted_at IS NULL) AS has_live_connections
       FROM integrations i ${JOIN_PROVIDER}
      WHERE i.environment_id = :environment_id AND i.unique_key = :unique_key AND i.deleted_at IS NULL`,
    { environment_id: uuid(environmentId), unique_key: uniqueKey, new_key: newKey ?? '' },
  );
  return row;
}

/** Inserts a new integration, or returns undefined when a live one already has its key. */
export async function insertIntegration(
  db: SqlExecutor,
  environmentId: string,
  id: string,
  values: IntegrationValues,
  event?: AuditEvent,
): Promise<IntegrationRow | undefined> {
  const [row] = await runChange<IntegrationRow>(db, {
    with: `i AS (
       INSERT INTO integrations (id, environment_id, unique_key, provider, display_name, client_id, client_secret, scopes,
                                 app_id, app_link, forward_webhooks, integration_config, custom, allowed_hosts)
       VALUES (:id, :environment_id, :unique_key, :provider, :display_name, :client_id, :client_secret, CAST(:scopes AS text[]),
               :app_id, :app_link, :forward_webhooks, :integration_config, :custom, CAST(:allowed_hosts AS text[]))
       ON CONFLICT (environment_id, unique_key) WHERE deleted_at IS NULL DO NOTHING
       RETURNING *
     )`,
    select: `SELECT ${PLAIN} FROM i ${JOIN_PROVIDER}`,
    params: { id: uuid(id), environment_id: uuid(environmentId), ...valueParameters(values) },
    when: 'EXISTS (SELECT 1 FROM i)',
    audit: event,
  });
  return row;
}

/**
 * Sets the given columns of a live integration and returns it as it now is; undefined if it is
 * gone. A rename onto a key taken meanwhile fails with the unique index's violation.
 */
export async function updateIntegration(
  db: SqlExecutor,
  environmentId: string,
  id: string,
  changes: Partial<IntegrationValues>,
  event?: AuditEvent,
): Promise<IntegrationRow | undefined> {
  const params = valueParameters(changes);
  // Column names come from IntegrationValues' typed keys, never from the request.
  const assignments = Object.keys(params).map((column) => (column === 'scopes' || column === 'allowed_hosts' ? `${column} = CAST(:${column} AS text[])` : `${column} = :${column}`));
  const [row] = await runChange<IntegrationRow>(db, {
    with: `i AS (
       UPDATE integrations SET ${[...assignments, 'updated_at = now()'].join(', ')}
        WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL
       RETURNING *
     )`,
    select: `SELECT ${PLAIN} FROM i ${JOIN_PROVIDER}`,
    params: { id: uuid(id), environment_id: uuid(environmentId), ...params },
    when: 'EXISTS (SELECT 1 FROM i)',
    audit: event,
  });
  return row;
}

/**
 * Soft-deletes a live integration and, in the same statement (so atomically), its live
 * connections, as Nango deletes an integration's connections with it. The integration's secrets
 * are erased: a deleted integration is never restored, so nothing may decrypt them again.
 */
export async function deleteIntegration(
  db: SqlExecutor,
  environmentId: string,
  uniqueKey: string,
  now: Date,
  event?: AuditEvent,
): Promise<{ deleted: boolean; connections: number }> {
  const [row] = await runChange<{ deleted: number; connections: number }>(db, {
    with: `gone AS (
       UPDATE integrations SET deleted_at = :now, updated_at = :now, client_secret = NULL
        WHERE environment_id = :environment_id AND unique_key = :unique_key AND deleted_at IS NULL
       RETURNING id
     ), connections_gone AS (
       UPDATE connections SET deleted_at = :now, updated_at = :now
        WHERE environment_id = :environment_id AND integration_id IN (SELECT id FROM gone) AND deleted_at IS NULL
       RETURNING 1
     )`,
    select: 'SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM connections_gone)::int AS connections',
    params: { environment_id: uuid(environmentId), unique_key: uniqueKey, now },
    when: 'EXISTS (SELECT 1 FROM gone)',
    happened: ([r]) => r.deleted > 0,
    audit: event,
    auditTargetSql: '(SELECT id::text FROM gone)',
  });
  return { deleted: row.deleted > 0, connections: row.connections };
}

function valueParameters(values: Partial<IntegrationValues>): Parameters {
  const out: Record<string, SqlValue> = {};
  for (const [key, value] of Object.entries(values) as [keyof IntegrationValues, IntegrationValues[keyof IntegrationValues]][]) {
    if (value === undefined) continue;
    if (key === 'scopes') out.scopes = value === null ? null : toTextArray(value as string[]);
    else if (key === 'allowed_hosts') out.allowed_hosts = toTextArray(value as string[]);
    else if (key === 'integration_config' || key === 'custom') out[key] = json(value);
    else out[key] = value as SqlValue;
  }
  return out;
}

/**
 * Hard-deletes deleted integrations once their environment's retention has passed and no
 * connection row points to them any more (their one-time OAuth sessions cascade), in batches.
 */
export function deleteRetiredIntegrations(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  return runBatches(
    db,
    `DELETE FROM integrations WHERE id IN (
       SELECT i.id FROM integrations i JOIN environments e ON e.id = i.environment_id
        WHERE i.deleted_at IS NOT NULL AND i.deleted_at + make_interval(days => e.connection_retention_days) <= :now
          AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.integration_id = i.id)
        LIMIT :batch_size FOR UPDATE OF i SKIP LOCKED)`,
    { now },
    budget.batchSize,
    budget,
  );
}
