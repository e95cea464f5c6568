import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WebSocketRouteSpec } from '../../lib/topology';
import { invokeLocal, localFunction, type LambdaHandler } from '../lambda-context';
import { formatRequestTime, LOCAL_API_ID } from './proxy-event';
import { WebSocketConnections } from './websocket-connections';

export interface WebSocketFrontOptions {
  routes: readonly WebSocketRouteSpec[];
  handlers: Record<string, LambdaHandler>;
  connections: WebSocketConnections;
  stage: string;
  onEvent?: (info: { route: string; connectionId: string; status: number }) => void;
}

/** API Gateway's limits: idle sockets close after 10 minutes, any socket after 2 hours. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;
const MAX_DURATION_MS = 2 * 60 * 60 * 1000;

/**
 * The local WebSocket API (v2), on the REST front's own port: an upgrade request of `/` runs the
 * `$connect` route's handler with API Gateway's WebSocket event and opens the socket only once it
 * answers 2xx (as API Gateway does, so a post before that is 410 Gone); a close runs `$disconnect`.
 * A message runs `$default` when that route exists; otherwise the client gets API Gateway's refusal.
 */
export class WebSocketFront {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
  private readonly routes: Map<string, string>;
  private stopping = false;

  constructor(private readonly options: WebSocketFrontOptions) {
    this.routes = new Map(options.routes.map((r) => [r.routeKey, r.function]));
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, host: string): void {
    void this.upgrade(req, socket, head, host).catch((err: unknown) => {
      console.error('local WebSocket API:', err);
      refuse(socket, 500);
    });
  }

  /** Shutdown: drops every socket without running $disconnect (the functions are stopping too). */
  closeAll(): void {
    this.stopping = true;
    this.options.connections.closeAll();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, host: string): Promise<void> {
    if ((req.url ?? '/').split('?')[0] !== '/') return refuse(socket, 403);
    const connectionId = WebSocketConnections.newId();
    const connectedAt = new Date();
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const userAgent = String(req.headers['user-agent'] ?? '');
    const base = { connectionId, connectedAt, sourceIp, userAgent, host };
    const status = await this.invoke('$connect', { ...this.event('$connect', 'CONNECT', base), ...requestParts(req) });
    if (status < 200 || status > 299) return refuse(socket, status);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, base));
  }

  private opened(ws: WebSocket, base: EventBase): void {
    const { connections } = this.options;
    const connection = { socket: ws, connectedAt: base.connectedAt, lastActiveAt: base.connectedAt, sourceIp: base.sourceIp, userAgent: base.userAgent };
    connections.add(base.connectionId, connection);
    const idle = setTimeout(() => ws.close(1001, 'Going away'), IDLE_TIMEOUT_MS);
    const max = setTimeout(() => ws.close(1001, 'Going away'), MAX_DURATION_MS);
    ws.on('message', (data) => {
      connection.lastActiveAt = new Date();
      idle.refresh();
      const route = this.routes.has('$default') ? '$default' : undefined;
      if (!route) return ws.send(JSON.stringify({ message: 'Forbidden', connectionId: base.connectionId, requestId: randomBytes(11).toString('base64') }));
      void this.invoke(route, { ...this.event(route, 'MESSAGE', base), body: data.toString(), isBase64Encoded: false });
    });
    ws.on('close', (code, reason) => {
      clearTimeout(idle);
      clearTimeout(max);
      connections.remove(base.connectionId);
      if (this.stopping) return;
      const event = this.event('$disconnect', 'DISCONNECT', base);
      void this.invoke('$disconnect', { ...event, requestContext: { ...event.requestContext, disconnectStatusCode: code, disconnectReason: reason.toString() } });
    });
  }

  /** The route's status code (API Gateway's 200 for a route without an integration). */
  private async invoke(routeKey: string, event: Record<string, unknown>): Promise<number> {
    const name = this.routes.get(routeKey);
    const connectionId = (event.requestContext as { connectionId: string }).connectionId;
    if (!name) return 200;
    const outcome = await invokeLocal(this.options.handlers[name], event, localFunction(name));
    const status = outcome.ok ? Number((outcome.result as { statusCode?: unknown } | null)?.statusCode ?? 200) : 502;
    if (!outcome.ok) console.error(`local WebSocket API ${routeKey}: ${outcome.errorType}: ${outcome.errorMessage}`);
    this.options.onEvent?.({ route: routeKey, connectionId, status });
    return status;
  }

  private event(routeKey: string, eventType: 'CONNECT' | 'DISCONNECT' | 'MESSAGE', base: EventBase): { requestContext: Record<string, unknown> } & Record<string, unknown> {
    const now = new Date();
    return {
      requestContext: {
        routeKey,
        eventType,
        messageDirection: 'IN',
        extendedRequestId: randomBytes(11).toString('base64'),
        requestTime: formatRequestTime(now),
        requestTimeEpoch: now.getTime(),
        stage: this.options.stage,
        connectedAt: base.connectedAt.getTime(),
        identity: { sourceIp: base.sourceIp, userAgent: base.userAgent },
        requestId: randomUUID(),
        domainName: base.host,
        connectionId: base.connectionId,
        apiId: LOCAL_API_ID,
        ...(eventType === 'MESSAGE' ? { messageId: randomBytes(10).toString('base64') } : {}),
      },
      isBase64Encoded: false,
    };
  }
}

interface EventBase {
  connectionId: string;
  connectedAt: Date;
  sourceIp: string;
  userAgent: string;
  host: string;
}

/** $connect carries the upgrade request's headers and query, as API Gateway passes them. */
function requestParts(req: IncomingMessage): Record<string, unknown> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = new URL(req.url ?? '/', 'http://local').searchParams;
  const keys = [...new Set(query.keys())];
  return {
    headers,
    multiValueHeaders,
    ...(keys.length
      ? {
          queryStringParameters: Object.fromEntries(keys.map((k) => [k, query.getAll(k).at(-1)!])),
          multiValueQueryStringParameters: Object.fromEntries(keys.map((k) => [k, query.getAll(k)])),
        }
      : {}),
  };
}

function refuse(socket: Duplex, status: number): void {
  if (socket.destroyed) return;
  const reason = status === 403 ? 'Forbidden' : status >= 500 ? 'Internal Server Error' : 'Bad Request';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
