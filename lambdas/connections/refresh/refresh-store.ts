import { executeAudited } from '../../audit/audit-log';
import type { AuditEvent } from '../../audit/audit-event';
import type { SqlExecutor } from '../../db/data-api';
import { json, uuid } from '../../db/parameters';
import type { RefreshState, RefreshTarget } from './refresh-lease';

/**
 * Writes of a refresh outcome. Both are compare-and-set on `credentials_version`: a result computed
 * from credentials someone has since replaced (a faster refresher, a re-import) is dropped, never
 * written over the newer ones. Each writes its audit event in the same statement, so exactly one
 * event exists per outcome that was recorded. Both give the lease back if this holder still has it.
 */

const RELEASE = `refresh_lease_holder = CASE WHEN refresh_lease_holder = :holder THEN NULL ELSE refresh_lease_holder END,
  refresh_lease_until = CASE WHEN refresh_lease_holder = :holder THEN NULL ELSE refresh_lease_until END`;

const GUARD = 'id = :id AND environment_id = :environment_id AND deleted_at IS NULL AND credentials_version = :expected_version';

export interface SavedRefresh {
  credentials_version: number;
  credentials_expires_at: Date | null;
}

export interface RefreshedWrite {
  envelope: Buffer;
  expiresAt: Date | null;
  /** token_response_metadata values merged into connection_config ({} for none). */
  connectionConfig: Record<string, unknown>;
}

/** Stores refreshed credentials and clears the failure state; undefined when the version moved on (or the row is gone). */
export async function saveRefreshed(
  db: SqlExecutor,
  target: RefreshTarget,
  holderId: string,
  expectedVersion: number,
  write: RefreshedWrite,
  now: Date,
  audit: AuditEvent,
): Promise<SavedRefresh | undefined> {
  const [row] = await executeAudited<SavedRefresh>(
    db,
    `UPDATE connections SET
       credentials = :credentials,
       credentials_version = credentials_version + 1,
       credentials_expires_at = CAST(:expires_at AS timestamptz),
       connection_config = connection_config || CAST(:connection_config AS jsonb),
       refresh_failure_count = 0, refresh_backoff_until = NULL, auth_error = NULL,
       last_refresh_success_at = :now, updated_at = :now,
       ${RELEASE}
     WHERE ${GUARD}
     RETURNING credentials_version, credentials_expires_at`,
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
  );
  return row;
}

export interface FailureWrite {
  /** The failure count after this failure. */
  failureCount: number;
  backoffUntil: Date;
  /** Set when the connection needs its end user to reconnect; untouched otherwise. */
  authError: Record<string, unknown> | null;
}

/**
 * Records a failed refresh: count, cooldown, time, and the auth error only when the failure makes
 * the connection need reauthorization. The credentials (and their version) stay as they are.
 * `updated_at` moves only when a streak starts, so during a streak it says since when the
 * connection has been failing (refresh-policy.ts needsReauthorization).
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
  const rows = await executeAudited(
    db,
    `UPDATE connections SET
       refresh_failure_count = :failure_count,
       refresh_backoff_until = :backoff_until,
       last_refresh_failure_at = :now,
       auth_error = COALESCE(CAST(:auth_error AS jsonb), auth_error),
       updated_at = CASE WHEN refresh_failure_count = 0 THEN :now ELSE updated_at END,
       ${RELEASE}
     WHERE ${GUARD}
     RETURNING id`,
    {
      id: uuid(target.rowId),
      environment_id: uuid(target.environmentId),
      holder: uuid(holderId),
      expected_version: expectedVersion,
      failure_count: failure.failureCount,
      backoff_until: failure.backoffUntil,
      auth_error: failure.authError ? json(failure.authError) : null,
      now,
    },
    audit,
  );
  return rows.length > 0;
}

/** The row's refresh state without touching the lease (after a lost compare-and-set). */
export async function readRefreshState(db: SqlExecutor, target: RefreshTarget): Promise<RefreshState | undefined> {
  const [row] = await db.query<RefreshState>(
    `SELECT false AS acquired, id, credentials, credentials_version, credentials_expires_at, connection_config, refresh_lease_holder,
            refresh_lease_until, refresh_backoff_until, refresh_failure_count, auth_error, updated_at
       FROM connections WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL`,
    { id: uuid(target.rowId), environment_id: uuid(target.environmentId) },
  );
  return row;
}
