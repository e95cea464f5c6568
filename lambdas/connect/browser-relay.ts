import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../platform/db/data-api';
import { logger } from '../platform/observability/logger';
import type { SocketPoster } from '../platform/websocket/connections-api';
import {
  bindWebSocketClient,
  deleteWebSocketClientByConnection,
  insertWebSocketClient,
  takeWebSocketClient,
} from './websocket-client-store';

/**
 * The frontend SDK's WebSocket (nango-api.md §3.2): on connect it is told a fresh ws_client_id,
 * which its popup passes to /oauth/connect; the flow's outcome is then posted to that socket as
 * its one final message. A ws_client_id is a capability: the first connect session whose flow
 * names it binds it, and no other session's flow may post to it.
 */

/** API Gateway closes any WebSocket after 2 hours. */
export const WS_CLIENT_TTL_MS = 2 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Only ids we hand out (uuid v4) can name a relay socket; anything else names none. */
export function relayClientId(value: unknown): string | undefined {
  return typeof value === 'string' && UUID.test(value) ? value : undefined;
}

export interface RelayMessage {
  message_type: 'success' | 'error';
  provider_config_key: string;
  connection_id: string;
  is_pending?: false;
  error_type?: string;
  error_desc?: string;
}

export const successMessage = (providerConfigKey: string, connectionId: string): RelayMessage => ({
  message_type: 'success',
  provider_config_key: providerConfigKey,
  connection_id: connectionId,
  is_pending: false,
});

/** `errorDesc` is the message the error page shows: ours, never a secret. */
export const errorMessage = (providerConfigKey: string, connectionId: string, errorType: string, errorDesc: string): RelayMessage => ({
  message_type: 'error',
  provider_config_key: providerConfigKey,
  connection_id: connectionId,
  error_type: errorType,
  error_desc: errorDesc,
});

/** $connect: records the socket under a new ws_client_id (the ack is posted once the socket is open). */
export async function openRelayClient(db: SqlExecutor, connectionId: string, now: Date): Promise<string> {
  const id = randomUUID();
  await insertWebSocketClient(db, { id, connectionId, expiresAt: new Date(now.getTime() + WS_CLIENT_TTL_MS) });
  return id;
}

/** $disconnect. */
export async function closeRelayClient(db: SqlExecutor, connectionId: string): Promise<void> {
  await deleteWebSocketClientByConnection(db, connectionId);
}

/** Pauses between posts of the ack while API Gateway finishes opening the socket. */
const ACK_RETRY_DELAYS_MS = [20, 40, 80, 160, 320, 640, 1000, 1000];

/**
 * Posts the connection_ack. It runs in its own invocation, queued by $connect: the socket opens
 * only once $connect has returned, and until then a post answers 410 Gone, so it is retried for a
 * few seconds; a socket still gone after that has closed, and its row is removed.
 */
export async function acknowledgeRelayClient(
  db: SqlExecutor,
  poster: SocketPoster,
  c: { connectionId: string; wsClientId: string },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<'sent' | 'gone'> {
  const ack = { message_type: 'connection_ack', ws_client_id: c.wsClientId };
  for (const delay of [...ACK_RETRY_DELAYS_MS, undefined]) {
    if ((await poster.post(c.connectionId, ack)) === 'sent') return 'sent';
    if (delay === undefined) break;
    await sleep(delay);
  }
  await deleteWebSocketClientByConnection(db, c.connectionId);
  return 'gone';
}

/**
 * A flow naming `wsClientId` started under `sessionId`: binds the socket to the session on first
 * use. False when another session holds it: that flow then runs without the relay.
 */
export async function bindRelayClient(db: SqlExecutor, wsClientId: string, sessionId: string, now: Date): Promise<boolean> {
  const outcome = await bindWebSocketClient(db, wsClientId, sessionId, now);
  if (outcome === 'taken') logger.warn('relay: a ws_client_id bound to another connect session was refused');
  return outcome !== 'taken';
}

export interface RelayTarget {
  db: SqlExecutor;
  /** Undefined when no WebSocket API is deployed. */
  poster: SocketPoster | undefined;
}

/**
 * Posts a flow's final message to its socket, if the socket is open and the session may use it
 * (`sessionId` null: the flow never authenticated, and may reach an unbound socket only). Never
 * throws: the popup's page shows the outcome anyway.
 */
export async function deliverToRelayClient(r: RelayTarget, wsClientId: string | undefined, sessionId: string | null, message: RelayMessage, now: Date): Promise<void> {
  if (!r.poster || !wsClientId) return;
  try {
    const connectionId = await takeWebSocketClient(r.db, wsClientId, sessionId, now);
    if (!connectionId) return;
    // Taken out of the table either way: the SDK closes its socket after this one message.
    await r.poster.post(connectionId, message);
  } catch (err) {
    logger.warn('relay: the final message could not be posted', { error: (err as Error).name });
  }
}
