import type { AuditEvent } from '../../audit/audit-event';
import { runChange, type ChangeEvent } from '../../platform/db/change-statement';
import type { SqlExecutor } from '../../platform/db/data-api';
import { json, uuid, type Parameters } from '../../platform/db/parameters';
import type { RefreshState, RefreshTarget } from './refresh-lease-store';
import { failureDescription, REFRESH_ERROR_TYPE } from './refresh-events';
import { newOutboxEvent } from '../../platform/events/outbox-event';
import type { RefreshFailureKind } from './refresh-policy';

/**
 * Writes of a refresh outcome. Both are compare-and-set on `credentials_version`: a result computed
 * from credentials someone has since replaced (a faster refresher, a re-import) is dropped, never
 * written over the newer ones. Each writes its audit event in the same statement, so exactly one
 * event exists per outcome that was recorded. Both give the lease back if this holder still has it.
 */

const RELEASE = `refresh_lease_holder = CASE WHEN c.refresh_lease_holder = :holder THEN NULL ELSE c.refresh_lease_holder END,
  refresh_lease_until = CASE WHEN c.refresh_lease_holder = :holder THEN NULL ELSE c.refresh_lease_until END`;

export interface RefreshedWrite {
  envelope: Buffer;
  expiresAt: Date | null;
  /** token_response_metadata values merged into connection_config ({} for none). */
  connectionConfig: Record<string, unknown>;
}

/** What the webhook bodies (refresh-events.ts) read from the changed row. */
const EVENT_COLUMNS = 'c.id, c.environment_id, c.integration_id, c.end_user_id, c.connection_id, c.provider_config_key, c.tags';

/** The row as it was before this statement, locked: its open incident, if any. */
const PREV = `(SELECT id, refresh_incident_id AS prev_incident FROM connections
    WHERE id = :id AND environment_id = :environment_id FOR UPDATE) p`;

const GUARD_C = 'c.id = p.id AND c.environment_id = :environment_id AND c.deleted_at IS NULL AND c.credentials_version = :expected_version';

/**
 * ONE statement: the change, its audit row and, when the outcome opens or closes an incident,
 * its webhook event (published after the statement when it was written).
 */
async function writeOutcome<R extends { id: string }>(
  db: SqlExecutor,
  update: string,
  params: Parameters,
  audit: AuditEvent,
  outbox: ChangeEvent<R>,
): Promise<R | undefined> {
  const [row] = await runChange<R>(db, {
    with: `changed AS (${update})`,
    select: 'SELECT * FROM changed',
    params,
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit,
    events: [outbox],
  });
  return row;
}

/**
 * Stores refreshed credentials and clears the failure state (the last failure's time stays, as
 * health history); closes an open incident with a recovery event. The new credentials version;
 * undefined when the version moved on (or the row is gone).
 */
export async function saveRefreshed(
  db: SqlExecutor,
  target: RefreshTarget,
  holderId: string,
  expectedVersion: number,
  write: RefreshedWrite,
  now: Date,
  audit: AuditEvent,
): Promise<number | undefined> {
  const recovery = refreshEvent(target.environmentId, 'recovered_event', 'g.recovered');
  // `recovered`: this save closed an incident (and wrote its recovery event).
  const row = await writeOutcome<{ id: string; credentials_version: number; recovered: boolean }>(
    db,
    `UPDATE connections c SET
       credentials = :credentials,
       credentials_version = c.credentials_version + 1,
       credentials_expires_at = CAST(:expires_at AS timestamptz),
       connection_config = c.connection_config || CAST(:connection_config AS jsonb),
       refresh_failure_count = 0, refresh_backoff_until = NULL, auth_error = NULL,
       refresh_failing_since = NULL, refresh_incident_id = NULL,
       last_refresh_success_at = :now, refresh_check_after = NULL, updated_at = :now,
       ${RELEASE}
     FROM ${PREV}
     WHERE ${GUARD_C}
     RETURNING ${EVENT_COLUMNS}, c.credentials_version, p.prev_incident IS NOT NULL AS recovered`,
    {
      id: uuid(target.rowId),
      environment_id: uuid(target.environmentId),
      holder: uuid(holderId),
      expected_version: expectedVersion,
      credentials: write.envelope,
      expires_at: write.expiresAt,
      connection_config: json(write.connectionConfig),
      now,
    },
    audit,
    { ...recovery, written: ([r]) => r?.recovered === true },
  );
  return row?.credentials_version;
}

export interface FailureWrite {
  /** The failure count after this failure. */
  failureCount: number;
  backoffUntil: Date;
  /** Set when the connection needs its end user to reconnect; untouched otherwise. */
  authError: Record<string, unknown> | null;
  /** What failed, for the incident's webhook body. */
  kind: RefreshFailureKind;
  status?: number;
}

/**
 * Records a failed refresh: count, cooldown, time, when the streak started, and the auth error
 * only when the failure makes the connection need reauthorization. The credentials (and their
 * version) stay as they are. The first failure of a streak opens an incident: its id is that of
 * the ONE failure event written for it; later failures of the streak write none.
 * False when the version moved on: a newer refresh or import made this failure irrelevant.
 */
export async function recordFailure(
  db: SqlExecutor,
  target: RefreshTarget,
  holderId: string,
  expectedVersion: number,
  failure: FailureWrite,
  now: Date,
  audit: AuditEvent,
): Promise<boolean> {
  const opening = refreshEvent(target.environmentId, 'failure_event', 'g.opened', { kind: failure.kind, status: failure.status });
  // `opened`: this failure opened an incident (and wrote its one failure event).
  const row = await writeOutcome<{ id: string; opened: boolean }>(
    db,
    `UPDATE connections c SET
       refresh_failure_count = :failure_count,
       refresh_backoff_until = :backoff_until,
       last_refresh_failure_at = :now,
       refresh_check_after = NULL,
       auth_error = COALESCE(CAST(:auth_error AS jsonb), c.auth_error),
       refresh_failing_since = COALESCE(c.refresh_failing_since, :now),
       refresh_incident_id = COALESCE(c.refresh_incident_id, :incident_id),
       ${RELEASE}
     FROM ${PREV}
     WHERE ${GUARD_C}
     RETURNING ${EVENT_COLUMNS}, p.prev_incident IS NULL AS opened`,
    {
      id: uuid(target.rowId),
      environment_id: uuid(target.environmentId),
      holder: uuid(holderId),
      expected_version: expectedVersion,
      failure_count: failure.failureCount,
      backoff_until: failure.backoffUntil,
      auth_error: failure.authError ? json(failure.authError) : null,
      incident_id: uuid(opening.event.id),
      now,
    },
    audit,
    { ...opening, written: ([r]) => r?.opened === true },
  );
  return row !== undefined;
}

/** The row's refresh state without touching the lease (after a lost compare-and-set). */
export async function readRefreshState(db: SqlExecutor, target: RefreshTarget): Promise<RefreshState | undefined> {
  const [row] = await db.query<RefreshState>(
    `SELECT false AS acquired, id, credentials, credentials_version, credentials_expires_at, connection_config, refresh_lease_holder,
            refresh_lease_until, refresh_backoff_until, refresh_failure_count, auth_error, refresh_failing_since, updated_at
       FROM connections WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL`,
    { id: uuid(target.rowId), environment_id: uuid(target.environmentId) },
    { idempotent: true },
  );
  return row;
}

const END_USER = `CASE WHEN eu.id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('endUser',
    jsonb_build_object('endUserId', eu.end_user_id, 'endUserEmail', eu.email, 'tags', eu.tags)
    || CASE WHEN eu.organization_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('organizationId', eu.organization_id) END) END`;

/**
 * A refresh incident's webhook (refresh-events.ts), as `<name> AS (INSERT INTO outbox …)` over the `changed` CTE
 * (id, environment_id, integration_id, end_user_id, connection_id, provider_config_key, tags), written only when
 * `whenSql` (a condition over `g`, the changed row) holds. `error` absent: the recovery body.
 */
function refreshEvent(
  environmentId: string,
  name: string,
  whenSql: string,
  error?: { kind: RefreshFailureKind; status?: number },
): ChangeEvent<unknown> {
  const event = newOutboxEvent(environmentId, 'auth', {});
  const p = `${name}_`;
  const errorSql = error ? `jsonb_build_object('success', false, 'error', jsonb_build_object('type', :${p}error_type, 'description', :${p}error_description))` : `jsonb_build_object('success', true)`;
  const select = {
    payloadSql: `jsonb_build_object('from', 'nango', 'type', 'auth', 'connectionId', g.connection_id, 'providerConfigKey', g.provider_config_key,
        'provider', COALESCE(i.provider, 'unknown'), 'authMode', 'OAUTH2', 'environment', e.name, 'operation', 'refresh', 'tags', g.tags)
        || ${errorSql} || ${END_USER}`,
    fromSql: `changed g JOIN environments e ON e.id = g.environment_id LEFT JOIN integrations i ON i.id = g.integration_id LEFT JOIN end_users eu ON eu.id = g.end_user_id`,
    whereSql: whenSql,
    connectionIdSql: 'g.id',
  };
  const params: Parameters = {};
  if (error) {
    params[`${p}error_type`] = REFRESH_ERROR_TYPE;
    params[`${p}error_description`] = failureDescription(error.kind, error.status);
  }
  return { event, name, select, params };
}

/** A connection the proactive refresh sweep claimed, with what a renewal needs of its integration. */
export interface RefreshCandidate {
  id: string;
  environment_id: string;
  connection_id: string;
  provider_config_key: string;
  credentials_version: number;
  credentials_expires_at: Date | null;
  connection_config: Record<string, unknown>;
  last_fetched_at: Date | null;
  last_refresh_success_at: Date | null;
  created_at: Date;
  provider: string;
  provider_definition: unknown;
  integration_id: string;
  integration_client_id: string | null;
  integration_scopes: string[] | null;
  integration_secrets: Buffer | null;
}

/**
 * ONE statement: picks the next batch of live connections whose token expires before `horizon`
 * or that sat idle since `idleBefore` (soonest expiry first), skipping rows another run holds,
 * and claims them until `claimUntil`.
 */
export function claimRefreshCandidates(
  db: SqlExecutor,
  now: Date,
  window: { horizon: Date; idleBefore: Date; claimUntil: Date; limit: number },
): Promise<RefreshCandidate[]> {
  return db.query<RefreshCandidate>(
    `WITH pick AS (
       SELECT c.id, i.provider, i.id AS integration_id, i.client_id AS integration_client_id, i.client_secret AS integration_secrets, i.scopes AS integration_scopes,
              (SELECT p.definition FROM providers p WHERE p.environment_id = c.environment_id AND p.name = i.provider) AS provider_definition
         FROM connections c JOIN integrations i ON i.id = c.integration_id AND i.deleted_at IS NULL
        WHERE c.deleted_at IS NULL AND c.auth_error IS NULL AND c.credentials IS NOT NULL
          AND (c.refresh_check_after IS NULL OR c.refresh_check_after <= :now)
          AND (c.refresh_backoff_until IS NULL OR c.refresh_backoff_until <= :now)
          AND (c.refresh_lease_until IS NULL OR c.refresh_lease_until < :now)
          AND (c.credentials_expires_at < :horizon
               OR (COALESCE(c.last_refresh_success_at, c.created_at) < :idle_before
                   AND (c.credentials_expires_at IS NULL OR COALESCE(c.last_fetched_at, c.created_at) < :idle_before)))
        ORDER BY c.credentials_expires_at NULLS LAST
        LIMIT :limit
        FOR UPDATE OF c SKIP LOCKED
     )
     UPDATE connections c SET refresh_check_after = :claim_until
       FROM pick
      WHERE c.id = pick.id
     RETURNING c.id, c.environment_id, c.connection_id, c.provider_config_key, c.credentials_version, c.credentials_expires_at,
               c.connection_config, c.last_fetched_at, c.last_refresh_success_at, c.created_at,
               pick.provider, pick.provider_definition, pick.integration_id, pick.integration_client_id, pick.integration_secrets, pick.integration_scopes`,
    { now, horizon: window.horizon, idle_before: window.idleBefore, claim_until: window.claimUntil, limit: window.limit },
  );
}

/** ONE statement: when the sweep looks at each connection again (null: when nothing holds it back). */
export async function setRefreshCheckAfter(db: SqlExecutor, rows: { id: string; checkAfter: Date | null }[]): Promise<void> {
  await db.execute(
    `UPDATE connections c SET refresh_check_after = r.check_after
       FROM jsonb_to_recordset(:rows) AS r(id uuid, check_after timestamptz)
      WHERE c.id = r.id`,
    { rows: json(rows.map((r) => ({ id: r.id, check_after: r.checkAfter?.toISOString() ?? null }))) },
  );
}
