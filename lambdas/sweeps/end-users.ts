import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';

/**
 * An end user younger than this is left alone: an import or connect session writes its end user
 * in one statement and the row that uses it in the next.
 */
export const END_USER_GRACE_MS = 60 * 60 * 1000;

export type EndUsersResult = { unusedEndUsersDeleted: number };

/**
 * End users are personal data (id, e-mail, name, organization) kept only while something uses
 * them: a connection (live, or soft-deleted and within its retention) or a connect session that
 * has not expired. Everything else goes: the end users of purged or hard-deleted connections that
 * a live session held on to, and those of sessions that never connected.
 */
export async function sweepEndUsers(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<EndUsersResult> {
  const endUsersDeleted = await deleteInBatches(
    db,
    'end_users',
    `SELECT e.id FROM end_users e
      WHERE e.updated_at < :settled_before
        AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.end_user_id = e.id)
        AND NOT EXISTS (SELECT 1 FROM connect_sessions s WHERE s.end_user_id = e.id AND s.expires_at > :now)`,
    { now, settled_before: new Date(now.getTime() - END_USER_GRACE_MS) },
    budget,
  );
  return { unusedEndUsersDeleted: endUsersDeleted };
}
