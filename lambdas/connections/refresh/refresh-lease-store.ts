import type { SqlExecutor } from '../../platform/db/data-api';
import { uuid } from '../../platform/db/parameters';

/**
 * The cross-instance refresh lease: a holder id and an expiry on the connection row. Taking it is
 * ONE conditional UPDATE, so of any number of Lambda instances racing for it exactly one wins
 * (PostgreSQL row locks serialize the UPDATEs; the losers re-check the condition against the
 * winner's row). A holder that dies leaves a lease that simply expires; only its holder releases it.
 */

/** One connection row, addressed by primary key and guarded by environment. */
export interface RefreshTarget {
  rowId: string;
  environmentId: string;
}

/** The refresh-relevant columns of a live connection, as the lease statement saw them. */
export interface RefreshState {
  id: string;
  /** This call took the lease. */
  acquired: boolean;
  credentials: Buffer | null;
  credentials_version: number;
  credentials_expires_at: Date | null;
  connection_config: Record<string, unknown>;
  refresh_lease_holder: string | null;
  refresh_lease_until: Date | null;
  refresh_backoff_until: Date | null;
  refresh_failure_count: number;
  auth_error: Record<string, unknown> | null;
  /** When the current streak of failures began; null while refresh works. */
  refresh_failing_since: Date | null;
  updated_at: Date;
}

export interface LeaseConditions {
  /** Take the lease whatever the expiry, backoff or auth error (force_refresh). */
  force: boolean;
  /** Take it only if the stored expiry is before this (now + margin); null: only when forced. */
  refreshBefore: Date | null;
  /** Take it only if nobody changed the credentials since the caller read this version. */
  expectedVersion?: number;
}

const STATE = `id, credentials, credentials_version, credentials_expires_at, connection_config, refresh_lease_holder,
  refresh_lease_until, refresh_backoff_until, refresh_failure_count, auth_error, refresh_failing_since, updated_at`;

/**
 * Tries to take the lease until `now + ttlMs` and, in the same statement, reads the row: the
 * winner gets the row as of its lease (RETURNING sees the latest committed version), a loser gets
 * it as of the statement's snapshot, with who holds the lease and until when. The lease is taken
 * only when a refresh is really due (see LeaseConditions), so a fresh token costs no release.
 * Undefined when the connection is gone (deleted, other environment).
 */
export async function tryAcquireLease(
  db: SqlExecutor,
  target: RefreshTarget,
  holderId: string,
  now: Date,
  ttlMs: number,
  conditions: LeaseConditions,
): Promise<RefreshState | undefined> {
  const [row] = await db.query<RefreshState>(
    `WITH cur AS (
       SELECT ${STATE} FROM connections
        WHERE id = :id AND environment_id = :environment_id AND deleted_at IS NULL
     ), taken AS (
       UPDATE connections c SET refresh_lease_holder = :holder, refresh_lease_until = :until
        WHERE c.id = :id AND c.environment_id = :environment_id AND c.deleted_at IS NULL
          AND (c.refresh_lease_until IS NULL OR c.refresh_lease_until < :now)
          AND (CAST(:expected_version AS integer) IS NULL OR c.credentials_version = CAST(:expected_version AS integer))
          AND (:force OR (c.credentials_expires_at < CAST(:refresh_before AS timestamptz) AND c.auth_error IS NULL
                          AND (c.refresh_backoff_until IS NULL OR c.refresh_backoff_until <= :now)))
       RETURNING ${STATE}
     )
     SELECT true AS acquired, ${STATE} FROM taken
     UNION ALL
     SELECT false, ${STATE} FROM cur WHERE NOT EXISTS (SELECT 1 FROM taken)`,
    {
      id: uuid(target.rowId),
      environment_id: uuid(target.environmentId),
      holder: uuid(holderId),
      until: new Date(now.getTime() + ttlMs),
      now,
      expected_version: conditions.expectedVersion ?? null,
      force: conditions.force,
      refresh_before: conditions.refreshBefore,
    },
  );
  return row;
}

/** Gives the lease back early; a no-op unless `holderId` still holds it (an expired lease may have a new holder). */
export async function releaseLease(db: SqlExecutor, target: RefreshTarget, holderId: string): Promise<boolean> {
  const { rowsAffected } = await db.execute(
    `UPDATE connections SET refresh_lease_holder = NULL, refresh_lease_until = NULL
      WHERE id = :id AND environment_id = :environment_id AND refresh_lease_holder = :holder`,
    { id: uuid(target.rowId), environment_id: uuid(target.environmentId), holder: uuid(holderId) },
    { idempotent: true },
  );
  return rowsAffected > 0;
}
