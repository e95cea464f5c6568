import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';
import { uuid } from '../platform/db/parameters';

/**
 * The browser relay's open WebSockets (migration 0010): the ws_client_id each was told, the API
 * Gateway connection to post to, and the connect session bound to it by first use.
 */

export async function insertWebSocketClient(db: SqlExecutor, c: { id: string; connectionId: string; expiresAt: Date }): Promise<void> {
  await db.execute('INSERT INTO websocket_clients (id, connection_id, expires_at) VALUES (:id, :connection_id, :expires_at)', {
    id: uuid(c.id),
    connection_id: c.connectionId,
    expires_at: c.expiresAt,
  });
}

/** The socket closed ($disconnect), or its connection is gone. */
export async function deleteWebSocketClientByConnection(db: SqlExecutor, connectionId: string): Promise<void> {
  await db.execute('DELETE FROM websocket_clients WHERE connection_id = :connection_id', { connection_id: connectionId });
}

/**
 * Binds client `id` to `sessionId` unless another session holds it, in one statement:
 * `unknown` (no such open client), `bound` (now or already this session's), or `taken`.
 */
export async function bindWebSocketClient(db: SqlExecutor, id: string, sessionId: string, now: Date): Promise<'unknown' | 'bound' | 'taken'> {
  const [row] = await db.query<{ known: boolean; bound: boolean }>(
    `WITH c AS (SELECT id, connect_session_id FROM websocket_clients WHERE id = :id AND expires_at > :now FOR UPDATE),
          b AS (UPDATE websocket_clients w SET connect_session_id = :session_id FROM c
                 WHERE w.id = c.id AND (c.connect_session_id IS NULL OR c.connect_session_id = :session_id)
                 RETURNING w.id)
     SELECT EXISTS (SELECT 1 FROM c) AS known, EXISTS (SELECT 1 FROM b) AS bound`,
    { id: uuid(id), session_id: uuid(sessionId), now },
  );
  if (!row?.known) return 'unknown';
  return row.bound ? 'bound' : 'taken';
}

/**
 * Takes client `id` out of the table for its one final message and returns its API Gateway
 * connection: only while open, and only when it is unbound or bound to `sessionId` (a null session,
 * a flow that never authenticated, reaches unbound clients alone). Undefined otherwise.
 */
export async function takeWebSocketClient(db: SqlExecutor, id: string, sessionId: string | null, now: Date): Promise<string | undefined> {
  const [row] = await db.query<{ connection_id: string }>(
    `DELETE FROM websocket_clients
      WHERE id = :id AND expires_at > :now
        AND (connect_session_id IS NULL OR connect_session_id = CAST(:session_id AS uuid))
      RETURNING connection_id`,
    { id: uuid(id), session_id: sessionId, now },
  );
  return row?.connection_id;
}

/** Deletes clients that expired before `now` (API Gateway has closed them), in batches; how many. */
export function deleteExpiredWebSocketClients(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(db, 'websocket_clients', 'SELECT id FROM websocket_clients WHERE expires_at < :now', { now }, budget);
}
