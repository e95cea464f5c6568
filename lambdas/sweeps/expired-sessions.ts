import { deleteExpiredOAuthSessions } from '../connect/oauth-session-store';
import { deleteExpiredConnectSessions } from '../connect-sessions/connect-session-store';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';

export type ExpiredSessionsResult = {
  oauthSessionsDeleted: number;
  connectSessionsDeleted: number;
};

/** Removes connect sessions and one-time OAuth sessions that expired before `now`. */
export async function sweepExpiredSessions(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<ExpiredSessionsResult> {
  const oauthSessionsDeleted = await deleteExpiredOAuthSessions(db, now, budget);
  const connectSessionsDeleted = await deleteExpiredConnectSessions(db, now, budget);
  return { oauthSessionsDeleted, connectSessionsDeleted };
}
