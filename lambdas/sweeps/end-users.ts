import { deleteUnusedEndUsers } from '../end-users/end-user-store';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';

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
  const endUsersDeleted = await deleteUnusedEndUsers(db, now, new Date(now.getTime() - END_USER_GRACE_MS), budget);
  return { unusedEndUsersDeleted: endUsersDeleted };
}
