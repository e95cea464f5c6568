import type { AuditAction, AuditBase, AuditEvent } from '../audit/audit-event';
import { runChange, type ChangeEvent } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { json, uuid, type Parameters } from '../platform/db/parameters';
import { budgetedStatement, statementParams, statementRows } from '../platform/db/statement-page';
import { newOutboxEvent, type OutboxEvent } from '../platform/events/outbox-event';
import type { ConnectionRow } from './connection-format';

/**
 * SQL for connections. Every statement is filtered by environment and sees only live rows of live
 * integrations; a soft-deleted connection (or one whose integration is gone) is not found anywhere.
 * Nullable parameters are CAST in SQL: the Data API binds a NULL without a type. A given audit
 * event is written by the same statement, only when the statement found or changed its row.
 */

/** Columns of `ConnectionRow` from a connections row aliased `c` and its end user `eu`. */
function projection(provider: string, withCredentials = true, lastFetchedAt = 'c.last_fetched_at'): string {
  return `c.id, c.seq, c.connection_id, c.provider_config_key, ${provider} AS provider,
    ${withCredentials ? 'c.credentials' : 'NULL::bytea AS credentials'}, c.connection_config, c.metadata, c.tags,
    c.webhook_url_override, c.auth_error, ${lastFetchedAt} AS last_fetched_at, c.created_at, c.updated_at,
    c.refresh_incident_id, c.last_refresh_success_at, c.last_refresh_failure_at, c.refresh_failure_count, c.refresh_backoff_until,
    eu.end_user_id AS eu_end_user_id, eu.email AS eu_email, eu.display_name AS eu_display_name,
    eu.organization_id AS eu_organization_id, eu.organization_display_name AS eu_organization_display_name, eu.tags AS eu_tags`;
}

/** Identifies one connection by its public ids. */
export interface ConnectionKey {
  environmentId: string;
  providerConfigKey: string;
  connectionId: string;
}

const keyParams = (key: ConnectionKey) => ({
  environment_id: uuid(key.environmentId),
  provider_config_key: key.providerConfigKey,
  connection_id: key.connectionId,
});

/**
 * An audit event about one connection: the statement fills in the row id as the target; the
 * detail holds the public ids and whatever else the caller adds (never a credential).
 */
export function connectionEvent(base: AuditBase, key: ConnectionKey, action: AuditAction, detail: Record<string, unknown> = {}): AuditEvent {
  return { ...base, action, targetType: 'connection', targetId: null, detail: { provider_config_key: key.providerConfigKey, connection_id: key.connectionId, ...detail } };
}

/** The live integration and the live connection matching `c` (alias) by public ids. */
const LIVE_CONNECTION = `c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key
  AND c.connection_id = :connection_id AND c.deleted_at IS NULL
  AND i.id = c.integration_id AND i.deleted_at IS NULL`;

/** What refresh-on-read needs besides the public row; the integration's secret and a custom provider only when `touch` (credential readers). */
export interface ReadRow extends ConnectionRow {
  credentials_version: number;
  integration_id: string;
  integration_client_id: string | null;
  /** The integration's scopes (a client credentials renewal asks for them again). */
  integration_scopes: string[] | null;
  /** The integration's secrets envelope (bound to integration_id). */
  integration_secrets: Buffer | null;
  /** The environment's custom provider of this name, if any (the catalog wins over it). */
  provider_definition: unknown;
}

export type ReadOutcome = { kind: 'found'; row: ReadRow } | { kind: 'unknown_integration' } | { kind: 'unknown_connection' };

/**
 * `last_fetched_at` is rewritten at most this often per connection: it drives the daily idle
 * check, and rewriting it on every read would make each read a write that serializes concurrent
 * readers of one connection on its row lock.
 */
export const LAST_FETCHED_RESOLUTION_MS = 60_000;

/**
 * The hot path of `GET /connections/{id}`: ONE statement reads the connection with its provider
 * and end user, records the read in `last_fetched_at` (when `touch`, and when the stored value
 * is older than LAST_FETCHED_RESOLUTION_MS), and says whether the integration exists, so even a
 * miss needs no second round trip.
 */
export async function readConnection(db: SqlExecutor, key: ConnectionKey, now: Date, touch: boolean, audit?: AuditEvent): Promise<ReadOutcome> {
  const [row] = await runChange<ReadRow & { integration_exists: boolean }>(db, {
    with: `integration AS (
       SELECT id, provider, deleted_at, client_id, scopes, CASE WHEN :touch THEN client_secret END AS client_secret FROM integrations
        WHERE environment_id = :environment_id AND unique_key = :provider_config_key AND deleted_at IS NULL
     ), target AS (
       SELECT c.*, i.provider, i.client_id AS integration_client_id, i.client_secret AS integration_secrets, i.scopes AS integration_scopes,
              (SELECT p.definition FROM providers p WHERE :touch AND p.environment_id = c.environment_id AND p.name = i.provider) AS provider_definition
         FROM connections c, integration i
        WHERE ${LIVE_CONNECTION}
     ), touched AS (
       UPDATE connections c SET last_fetched_at = :now
         FROM target t
        WHERE c.id = t.id AND :touch AND (c.last_fetched_at IS NULL OR c.last_fetched_at < :stale_before)
       RETURNING c.id, c.last_fetched_at
     )`,
    select: `SELECT EXISTS (SELECT 1 FROM integration) AS integration_exists, ${projection('c.provider', true, 'COALESCE(tt.last_fetched_at, c.last_fetched_at)')},
            c.credentials_version, c.integration_id, c.integration_client_id, c.integration_secrets, c.integration_scopes, c.provider_definition
       FROM (SELECT 1) AS one
       LEFT JOIN target c ON true
       LEFT JOIN touched tt ON tt.id = c.id
       LEFT JOIN end_users eu ON eu.id = c.end_user_id`,
    params: { ...keyParams(key), now, touch, stale_before: new Date(now.getTime() - LAST_FETCHED_RESOLUTION_MS) },
    when: 'EXISTS (SELECT 1 FROM target)',
    happened: (rows) => rows[0]?.id !== null,
    audit,
    auditTargetSql: '(SELECT id::text FROM target)',
    // A read; last_fetched_at converges and the audit row's id is fixed, so a resend is harmless.
    options: { idempotent: true },
  });
  if (row.id !== null) return { kind: 'found', row };
  return row.integration_exists ? { kind: 'unknown_connection' } : { kind: 'unknown_integration' };
}

export async function integrationExists(db: SqlExecutor, environmentId: string, providerConfigKey: string): Promise<boolean> {
  const rows = await db.query(
    'SELECT 1 FROM integrations WHERE environment_id = :environment_id AND unique_key = :unique_key AND deleted_at IS NULL',
    { environment_id: uuid(environmentId), unique_key: providerConfigKey },
  );
  return rows.length > 0;
}

export interface ListFilter {
  connectionId?: string;
  search?: string;
  endUserId?: string;
  endUserOrganizationId?: string;
  integrationIds?: string[];
  tags?: Record<string, string>;
}

/** Where a list statement starts: after the connection with this `seq`, then skipping `offset` rows (Nango's `page`). */
export interface ListPosition {
  afterSeq?: number;
  offset?: number;
  /** Rows wanted (the statement may return fewer: statement-page.ts). */
  rows: number;
}

/**
 * A row's share of a list statement's 1 MiB (statement-page.ts): twice its JSON documents (the
 * response escapes their quotes and backslashes again), six times its text (a control character
 * is escaped as \u00XX) and a bound for the rest.
 */
const LIST_ROW_FIXED_BYTES = 1024;

/** The `search` filter as a LIKE pattern: the text lower-cased, its wildcards escaped, anywhere in the value. */
const SEARCH_PATTERN = `'%' || replace(replace(replace(lower(CAST(:search AS text)), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'`;

/**
 * The `tags` filter as one join per tag on connection_tags (migration 0013), whose index reads a
 * tag's connections in list order: the planner starts from the rarest and stops at the page's
 * limit. No `tags @>` recheck on the row: its selectivity estimate would lead the planner back to
 * sorting every match.
 */
function tagJoins(tags: Record<string, string> | undefined): string {
  return Object.keys(tags ?? {})
    .map(
      (_, n) => `JOIN connection_tags t${n} ON t${n}.seq = c.seq AND t${n}.environment_id = :environment_id AND t${n}.seq > :after_seq
            AND t${n}.tag = CAST(md5(CAST(:tag_key_${n} AS text) || '=' || CAST(:tag_value_${n} AS text)) AS uuid)`,
    )
    .join('\n           ');
}

function tagParams(tags: Record<string, string> | undefined): Parameters {
  return Object.fromEntries(Object.entries(tags ?? {}).flatMap(([key, value], n) => [[`tag_key_${n}`, key], [`tag_value_${n}`, value]]));
}

/**
 * One statement of a listing of live connections in creation order (keyset on `seq`), filtered;
 * credentials are not read. It stops early, after at least one row, where its rows would pass
 * the statement budget; `more` says whether rows follow. `search` is matched by the
 * trigram indexes of migration 0012 on the connection id and on the end user's id, email and name.
 */
export async function listConnections(db: SqlExecutor, environmentId: string, filter: ListFilter, position: ListPosition): Promise<{ rows: ConnectionRow[]; more: boolean }> {
  const rows = await db.query<ConnectionRow & { fetched: number }>(
    budgetedStatement(
      `SELECT ${projection('c.provider', false)},
            2 * (octet_length(c.metadata::text) + octet_length(c.connection_config::text) + octet_length(c.tags::text)
                 + COALESCE(octet_length(eu.tags::text), 0))
            + 6 * (octet_length(c.connection_id) + octet_length(c.provider_config_key) + octet_length(c.provider)
                   + COALESCE(octet_length(eu.end_user_id), 0) + COALESCE(octet_length(eu.email), 0) + COALESCE(octet_length(eu.display_name), 0)
                   + COALESCE(octet_length(eu.organization_id), 0) + COALESCE(octet_length(eu.organization_display_name), 0)
                   + COALESCE(octet_length(c.webhook_url_override), 0) + COALESCE(octet_length(c.auth_error::text), 0))
            + ${LIST_ROW_FIXED_BYTES} AS row_bytes
       FROM (
         SELECT c.*, i.provider FROM connections c
           ${tagJoins(filter.tags)}
           -- Looked up row by row (LIMIT 1 keeps it so): as a join, the planner may hash it and
           -- sort every connection after the cursor for one page.
           JOIN LATERAL (SELECT provider FROM integrations WHERE id = c.integration_id AND deleted_at IS NULL LIMIT 1) i ON true
          WHERE c.environment_id = :environment_id AND c.deleted_at IS NULL
            AND c.seq > :after_seq
            AND (CAST(:connection_id AS text) IS NULL OR c.connection_id = CAST(:connection_id AS text))
            -- Matches are collected once (trigram indexes) and fetched by id, rather than tested row by row.
            AND (CAST(:search AS text) IS NULL OR c.id = ANY (ARRAY(
                  SELECT sc.id FROM connections sc
                   WHERE sc.environment_id = :environment_id AND sc.deleted_at IS NULL AND lower(sc.connection_id) LIKE ${SEARCH_PATTERN}
                  UNION
                  SELECT sc.id FROM end_users se JOIN connections sc ON sc.end_user_id = se.id AND sc.deleted_at IS NULL
                   WHERE se.environment_id = :environment_id
                     AND lower(coalesce(se.end_user_id, '') || ' ' || coalesce(se.email, '') || ' ' || coalesce(se.display_name, '')) LIKE ${SEARCH_PATTERN})))
            AND (CAST(:end_user_id AS text) IS NULL OR c.end_user_id = (
                  SELECT id FROM end_users WHERE environment_id = :environment_id AND end_user_id = CAST(:end_user_id AS text)))
            AND (CAST(:organization_id AS text) IS NULL OR c.end_user_id IN (
                  SELECT id FROM end_users WHERE environment_id = :environment_id AND organization_id = CAST(:organization_id AS text)))
            AND (jsonb_array_length(:integration_ids) = 0 OR c.provider_config_key IN (SELECT jsonb_array_elements_text(:integration_ids)))
          ORDER BY c.seq
          LIMIT :fetch OFFSET :offset
       ) c
       -- Looked up by key for the page's rows only: the end user never decides which rows are read.
       LEFT JOIN LATERAL (SELECT * FROM end_users WHERE id = c.end_user_id LIMIT 1) eu ON true
      ORDER BY c.seq`,
      'seq',
    ),
    {
      environment_id: uuid(environmentId),
      connection_id: filter.connectionId ?? null,
      search: filter.search ?? null,
      end_user_id: filter.endUserId ?? null,
      organization_id: filter.endUserOrganizationId ?? null,
      integration_ids: json(filter.integrationIds ?? []),
      ...tagParams(filter.tags),
      after_seq: position.afterSeq ?? 0,
      offset: position.offset ?? 0,
      ...statementParams(position.rows, LIST_ROW_FIXED_BYTES),
    },
    { idempotent: true },
  );
  return statementRows(rows, position.rows, LIST_ROW_FIXED_BYTES);
}

/** What an import finds before writing: the integration, and the live connection it would override. */
export interface ImportTarget {
  integration_id: string;
  provider: string;
  /** Row id of the live connection with this pck and connection_id, if any. */
  connection_row_id: string | null;
  /** That connection's integration: differs only if it belonged to a since-deleted integration of the same key. */
  connection_integration_id: string | null;
  /** The integration's secrets envelope, only when asked for (`withSecrets`), else null. */
  integration_secrets: Buffer | null;
  integration_app_id: string | null;
}

/** `withSecrets`: also read the integration's secrets envelope (APP/CUSTOM imports sign with its private key). */
export async function findImportTarget(db: SqlExecutor, key: ConnectionKey, withSecrets = false): Promise<ImportTarget | undefined> {
  const [row] = await db.query<ImportTarget>(
    `SELECT i.id AS integration_id, i.provider, c.id AS connection_row_id, c.integration_id AS connection_integration_id,
            CASE WHEN :with_secrets THEN i.client_secret END AS integration_secrets, i.app_id AS integration_app_id
       FROM integrations i
       LEFT JOIN connections c ON c.environment_id = i.environment_id AND c.provider_config_key = i.unique_key
                              AND c.connection_id = :connection_id AND c.deleted_at IS NULL
      WHERE i.environment_id = :environment_id AND i.unique_key = :provider_config_key AND i.deleted_at IS NULL`,
    { ...keyParams(key), with_secrets: withSecrets },
  );
  return row;
}

/** Column values an import writes; `undefined` in an override keeps what the row has. */
export interface ImportWrite {
  rowId: string;
  integrationId: string;
  provider: string;
  endUserRowId?: string;
  credentials: Buffer | null;
  credentialsExpiresAt: Date | null;
  connectionConfig?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  tags?: Record<string, string>;
  /** null clears. */
  webhookUrlOverride?: string | null;
}

/** Inserts a new connection; undefined if a live one with the same ids appeared meanwhile. */
export async function insertConnection(db: SqlExecutor, key: ConnectionKey, w: ImportWrite, now: Date, audit?: AuditEvent | readonly AuditEvent[], outbox?: OutboxEvent): Promise<ConnectionRow | undefined> {
  return writeConnection(
    db,
    `INSERT INTO connections (id, environment_id, connection_id, integration_id, provider_config_key, end_user_id, credentials,
                                credentials_expires_at, connection_config, metadata, tags, webhook_url_override, created_at, updated_at)
       VALUES (:id, :environment_id, :connection_id, :integration_id, :provider_config_key, :end_user_id, :credentials,
               :credentials_expires_at, :connection_config, :metadata, :tags, :webhook_url_override, :now, :now)
       ON CONFLICT (environment_id, provider_config_key, connection_id) WHERE deleted_at IS NULL DO NOTHING
       RETURNING *`,
    {
      ...keyParams(key),
      id: uuid(w.rowId),
      integration_id: uuid(w.integrationId),
      provider: w.provider,
      end_user_id: w.endUserRowId ? uuid(w.endUserRowId) : null,
      credentials: w.credentials,
      credentials_expires_at: w.credentialsExpiresAt,
      connection_config: json(w.connectionConfig ?? {}),
      metadata: json(w.metadata ?? {}),
      tags: json(w.tags ?? {}),
      webhook_url_override: w.webhookUrlOverride ?? null,
      now,
    },
    audit,
    outbox,
  );
}

/**
 * Overrides a live connection's credentials (and what the import gives). New credentials clear
 * the refresh failure state and bump the version the refresher compares against.
 * Undefined if the row was deleted meanwhile.
 */
export async function overrideConnection(db: SqlExecutor, environmentId: string, w: ImportWrite, now: Date, audit?: AuditEvent | readonly AuditEvent[], outbox?: OutboxEvent): Promise<ConnectionRow | undefined> {
  return writeConnection(
    db,
    `UPDATE connections SET
         integration_id = :integration_id,
         credentials = :credentials,
         credentials_expires_at = CAST(:credentials_expires_at AS timestamptz),
         credentials_version = credentials_version + 1,
         connection_config = COALESCE(CAST(:connection_config AS jsonb), connection_config),
         metadata = COALESCE(CAST(:metadata AS jsonb), metadata),
         tags = COALESCE(CAST(:tags AS jsonb), tags),
         end_user_id = COALESCE(CAST(:end_user_id AS uuid), end_user_id),
         webhook_url_override = CASE WHEN :set_webhook THEN CAST(:webhook_url_override AS text) ELSE webhook_url_override END,
         refresh_failure_count = 0, last_refresh_failure_at = NULL, refresh_backoff_until = NULL, auth_error = NULL,
         refresh_failing_since = NULL, refresh_incident_id = NULL,
         updated_at = :now
       WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL
       RETURNING *`,
    {
      id: uuid(w.rowId),
      environment_id: uuid(environmentId),
      integration_id: uuid(w.integrationId),
      provider: w.provider,
      credentials: w.credentials,
      credentials_expires_at: w.credentialsExpiresAt,
      connection_config: w.connectionConfig === undefined ? null : json(w.connectionConfig),
      metadata: w.metadata === undefined ? null : json(w.metadata),
      tags: w.tags === undefined ? null : json(w.tags),
      end_user_id: w.endUserRowId ? uuid(w.endUserRowId) : null,
      set_webhook: w.webhookUrlOverride !== undefined,
      webhook_url_override: w.webhookUrlOverride ?? null,
      now,
    },
    audit,
    outbox,
  );
}

/**
 * Runs `write` (an INSERT or UPDATE of one connection … RETURNING *) with its audit events (the
 * change, and a credential read when the response hands credentials back) and outbox event in the
 * same statement, all only when a row was written; returns the row as the API shows it
 * (`:provider` is a parameter of `params`).
 */
async function writeConnection(db: SqlExecutor, write: string, params: Parameters, audit?: AuditEvent | readonly AuditEvent[], outbox?: OutboxEvent): Promise<ConnectionRow | undefined> {
  const [row] = await runChange<ConnectionRow>(db, {
    with: `c AS (${write})`,
    select: `SELECT ${projection(':provider')} FROM c LEFT JOIN end_users eu ON eu.id = c.end_user_id`,
    params,
    when: 'EXISTS (SELECT 1 FROM c)',
    audit,
    auditTargetSql: '(SELECT id::text FROM c)',
    events: outbox ? [{ event: outbox, connectionIdSql: '(SELECT id FROM c)' }] : [],
  });
  return row;
}

/** Retires a connection left behind by a deleted integration of the same key, so an import can take its ids. */
export async function retireConnection(db: SqlExecutor, environmentId: string, rowId: string, now: Date, audit?: AuditEvent): Promise<void> {
  await runChange(db, {
    with: `gone AS (
       UPDATE connections SET deleted_at = :now WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL RETURNING id
     )`,
    select: 'SELECT id FROM gone',
    params: { id: uuid(rowId), environment_id: uuid(environmentId), now },
    when: 'EXISTS (SELECT 1 FROM gone)',
    audit,
  });
}

export interface ConnectionPatch {
  endUserRowId?: string;
  /** Tags generated from the new end user: override the stored ones. */
  generatedTags?: Record<string, string>;
  /** Given tags replace the stored ones and win over generated ones. */
  tags?: Record<string, string>;
  /** null clears. */
  webhookUrlOverride?: string | null;
}

/** Applies a PATCH in one statement; false if there is no such live connection. */
export async function patchConnection(db: SqlExecutor, key: ConnectionKey, patch: ConnectionPatch, now: Date, audit?: AuditEvent): Promise<boolean> {
  const rows = await runChange(db, {
    with: `changed AS (
       UPDATE connections c SET
         tags = CASE WHEN :replace_tags THEN '{}'::jsonb ELSE c.tags END || CAST(:generated_tags AS jsonb) || CAST(:tags AS jsonb),
         end_user_id = COALESCE(CAST(:end_user_id AS uuid), c.end_user_id),
         webhook_url_override = CASE WHEN :set_webhook THEN CAST(:webhook_url_override AS text) ELSE c.webhook_url_override END,
         updated_at = :now
        FROM integrations i
       WHERE ${LIVE_CONNECTION}
       RETURNING c.id
     )`,
    select: 'SELECT id FROM changed',
    params: {
      ...keyParams(key),
      replace_tags: patch.tags !== undefined,
      generated_tags: json(patch.generatedTags ?? {}),
      tags: json(patch.tags ?? {}),
      end_user_id: patch.endUserRowId ? uuid(patch.endUserRowId) : null,
      set_webhook: patch.webhookUrlOverride !== undefined,
      webhook_url_override: patch.webhookUrlOverride ?? null,
      now,
    },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit,
    auditTargetSql: '(SELECT id::text FROM changed)',
  });
  return rows.length > 0;
}

/** Soft delete: invisible to every route at once. False if there was no such live connection. */
export async function softDeleteConnection(db: SqlExecutor, key: ConnectionKey, now: Date, audit?: AuditEvent): Promise<boolean> {
  const rows = await runChange<{ id: string; webhook_event: boolean }>(db, {
    with: `gone AS (
       UPDATE connections c SET deleted_at = :now, updated_at = :now
         FROM integrations i
        WHERE ${LIVE_CONNECTION}
       RETURNING c.id, c.connection_id, c.provider_config_key, c.tags, c.end_user_id, i.provider
     )`,
    select: 'SELECT id, EXISTS (SELECT 1 FROM deleted_event) AS webhook_event FROM gone',
    params: { ...keyParams(key), now },
    when: 'EXISTS (SELECT 1 FROM gone)',
    audit,
    auditTargetSql: '(SELECT id::text FROM gone)',
    // The `connection.deleted` webhook, when the environment wants it, commits with the delete.
    events: [connectionDeletedEvent(key.environmentId, now)],
  });
  return rows.length > 0;
}

/**
 * Replaces (`merge` false) or shallow-merges metadata of several connections in ONE statement,
 * all or nothing: if any id is unknown nothing is written and the unknown ids come back in request order.
 */
export async function writeMetadata(
  db: SqlExecutor,
  environmentId: string,
  providerConfigKey: string,
  connectionIds: string[],
  metadata: Record<string, unknown>,
  merge: boolean,
  now: Date,
  audit?: AuditEvent,
  /** The stored document's limit (jsonb text bytes): a merge that would pass it writes nothing. */
  maxBytes = Number.MAX_SAFE_INTEGER,
): Promise<{ missing: string[]; tooLarge: string[] }> {
  const [row] = await runChange<{ missing: string[] | null; too_large: string[] | null }>(db, {
    with: `wanted AS (
       SELECT value AS connection_id, min(ord) AS ord
         FROM jsonb_array_elements_text(:connection_ids) WITH ORDINALITY AS e(value, ord) GROUP BY value
     ), targets AS (
       SELECT c.id, c.connection_id FROM connections c
         JOIN integrations i ON i.id = c.integration_id AND i.deleted_at IS NULL
        WHERE c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key AND c.deleted_at IS NULL
          AND c.connection_id IN (SELECT connection_id FROM wanted)
     ), missing AS (
       SELECT w.connection_id, w.ord FROM wanted w WHERE NOT EXISTS (SELECT 1 FROM targets t WHERE t.connection_id = w.connection_id)
     ), too_large AS (
       SELECT t.connection_id FROM targets t JOIN connections c ON c.id = t.id
        WHERE :merge AND octet_length((c.metadata || CAST(:metadata AS jsonb))::text) > :max_bytes
     ), updated AS (
       UPDATE connections c SET metadata = CASE WHEN :merge THEN c.metadata || CAST(:metadata AS jsonb) ELSE CAST(:metadata AS jsonb) END, updated_at = :now
         FROM targets t
        WHERE c.id = t.id AND NOT EXISTS (SELECT 1 FROM missing) AND NOT EXISTS (SELECT 1 FROM too_large)
       RETURNING c.id
     )`,
    select: `SELECT (SELECT array_agg(connection_id ORDER BY ord) FROM missing) AS missing,
            (SELECT array_agg(connection_id ORDER BY connection_id) FROM too_large) AS too_large, (SELECT count(*) FROM updated) AS updated`,
    params: {
      environment_id: uuid(environmentId),
      provider_config_key: providerConfigKey,
      connection_ids: json(connectionIds),
      metadata: json(metadata),
      merge,
      now,
      max_bytes: maxBytes,
    },
    when: 'EXISTS (SELECT 1 FROM updated)',
    happened: ([r]) => !r.missing && !r.too_large,
    audit,
    // One event per request; its target is the connection when there is exactly one.
    auditTargetSql: '(SELECT CASE WHEN count(*) = 1 THEN min(id::text) END FROM updated)',
  });
  return { missing: row.missing ?? [], tooLarge: row.too_large ?? [] };
}

/**
 * The `connection.deleted` webhook (our event, in the style of Nango's auth webhook, §4.1):
 *
 *   { from: 'nango', type: 'connection.deleted', connectionId, providerConfigKey, provider,
 *     environment, deletedAt, tags, endUser?: { endUserId, endUserEmail, organizationId?, tags } }
 *
 * Built from the soft-deleted row by the statement that deletes it, only when the environment's
 * `webhook_on_connection_deleted` is on. `gone` must be a CTE returning the deleted row's id,
 * connection_id, provider_config_key, tags and end_user_id, and `provider` (the integration's).
 */
function connectionDeletedEvent(environmentId: string, deletedAt: Date): ChangeEvent<{ webhook_event: boolean }> {
  const endUser = `CASE WHEN eu.id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('endUser',
      jsonb_build_object('endUserId', eu.end_user_id, 'endUserEmail', eu.email, 'tags', eu.tags)
      || CASE WHEN eu.organization_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('organizationId', eu.organization_id) END) END`;
  return {
    event: newOutboxEvent(environmentId, 'connection.deleted', {}),
    name: 'deleted_event',
    select: {
      payloadSql: `jsonb_build_object('from', 'nango', 'type', 'connection.deleted', 'connectionId', g.connection_id,
        'providerConfigKey', g.provider_config_key, 'provider', g.provider, 'environment', e.name,
        'deletedAt', :deleted_event_at, 'tags', g.tags) || ${endUser}`,
      fromSql: 'gone g JOIN environments e ON e.id = :deleted_event_environment_id LEFT JOIN end_users eu ON eu.id = g.end_user_id',
      whereSql: 'e.webhook_on_connection_deleted',
      connectionIdSql: 'g.id',
    },
    params: { deleted_event_at: deletedAt.toISOString() },
    written: (rows) => rows[0]?.webhook_event === true,
  };
}
