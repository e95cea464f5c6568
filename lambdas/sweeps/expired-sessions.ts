import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';

export type ExpiredSessionsResult = {
  oauthSessionsDeleted: number;
  connectSessionsDeleted: number;
};

/** Removes connect sessions and one-time OAuth sessions that expired before `now`. */
export async function sweepExpiredSessions(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<ExpiredSessionsResult> {
  const params = { now };
  const oauthSessionsDeleted = await deleteInBatches(db, 'oauth_sessions', 'SELECT id FROM oauth_sessions WHERE expires_at < :now', params, budget);
  const connectSessionsDeleted = await deleteInBatches(
    db,
    'connect_sessions',
    'SELECT id FROM connect_sessions WHERE expires_at < :now',
    params,
    budget,
  );
  return { oauthSessionsDeleted, connectSessionsDeleted };
}
