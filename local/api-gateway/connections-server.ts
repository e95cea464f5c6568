import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AwsServiceError, closeEndpointServer, createEndpointServer, listen, readBody, sendJson, sendRestJsonError } from '../aws-http';
import type { WebSocketConnections } from './websocket-connections';

/** API Gateway's WebSocket message limit (128 KB). */
const MESSAGE_LIMIT_BYTES = 128 * 1024;
/** `[/{stage}]/@connections/{connectionId}`: the SDK puts its endpoint's path (the stage) first. */
const CONNECTION_PATH = /^(?:\/[^/@]+)*\/@connections\/([^/]+)$/;

/**
 * Local stand-in for the WebSocket API's management API (restJson1: `POST`, `GET`, `DELETE`
 * `@connections/{id}`), reached by `@aws-sdk/client-apigatewaymanagementapi` at the endpoint in
 * LATCHKEY_WEBSOCKET_CALLBACK_URL, as the stage's callback URL is in AWS. A connection that is
 * not open (not yet, or no longer) is 410 GoneException, as there.
 */
export class ConnectionsServer {
  private server?: Server;

  constructor(private readonly connections: WebSocketConnections) {}

  start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createEndpointServer((req, res) => void this.handle(req, res));
    return listen(this.server, port, host);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await closeEndpointServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const match = CONNECTION_PATH.exec((req.url ?? '').split('?')[0]);
      if (!match) throw new AwsServiceError('ForbiddenException', 'Forbidden', 403);
      const id = decodeURIComponent(match[1]);
      const body = await readBody(req, MESSAGE_LIMIT_BYTES + 1);
      const open = this.connections.get(id);
      if (!open || open.socket.readyState !== open.socket.OPEN) throw new AwsServiceError('GoneException', 'The connection is not open', 410);
      if (req.method === 'POST') {
        if (body.length > MESSAGE_LIMIT_BYTES) throw new AwsServiceError('PayloadTooLargeException', 'Message too long', 413);
        await new Promise<void>((resolve, reject) => open.socket.send(body.toString('utf8'), (err) => (err ? reject(err) : resolve())));
        open.lastActiveAt = new Date();
        return void res.writeHead(200, { 'content-length': 0 }).end();
      }
      if (req.method === 'GET') {
        // The wire names are lower camel case (the SDK maps them to ConnectedAt, Identity, …).
        return sendJson(res, 200, { connectedAt: open.connectedAt.toISOString(), identity: { sourceIp: open.sourceIp, userAgent: open.userAgent }, lastActiveAt: open.lastActiveAt.toISOString() });
      }
      if (req.method === 'DELETE') {
        open.socket.close(1000);
        return void res.writeHead(204).end();
      }
      throw new AwsServiceError('ForbiddenException', 'Forbidden', 403);
    } catch (err) {
      sendRestJsonError(res, err instanceof AwsServiceError ? err : new AwsServiceError('InternalServerErrorException', 'Internal server error', 500));
    }
  }
}
