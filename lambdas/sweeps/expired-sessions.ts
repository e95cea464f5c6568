import { deleteExpiredOAuthSessions } from '../connect/oauth-session-store';
import { deleteExpiredWebSocketClients } from '../connect/websocket-client-store';
import { deleteExpiredConnectSessions } from '../connect-sessions/connect-session-store';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';

export type ExpiredSessionsResult = {
  oauthSessionsDeleted: number;
  connectSessionsDeleted: number;
  websocketClientsDeleted: number;
};

/** Removes connect sessions, one-time OAuth sessions and relay sockets that expired before `now`. */
export async function sweepExpiredSessions(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<ExpiredSessionsResult> {
  const oauthSessionsDeleted = await deleteExpiredOAuthSessions(db, now, budget);
  const connectSessionsDeleted = await deleteExpiredConnectSessions(db, now, budget);
  // A socket whose $disconnect never came: API Gateway closed it at its 2-hour limit.
  const websocketClientsDeleted = await deleteExpiredWebSocketClients(db, now, budget);
  return { oauthSessionsDeleted, connectSessionsDeleted, websocketClientsDeleted };
}
