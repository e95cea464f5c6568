import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error a stand-in answers with, named as the real AWS service names it. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** Reads a request body, refusing more than `limit` bytes (AWS services cap request sizes too). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new AwsServiceError('RequestEntityTooLargeException', `Request size exceeds the limit of ${limit} bytes`, 413);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': contentType, 'content-length': payload.length, ...headers });
  res.end(payload);
}

/** restJson1 error shape (RDS Data API): the error name travels in x-amzn-ErrorType. */
export function sendRestJsonError(res: ServerResponse, err: AwsServiceError): void {
  sendJson(res, err.status, { message: err.message, ...err.extra }, 'application/json', { 'x-amzn-errortype': err.code });
}

/** awsJson1.1 error shape (KMS, EventBridge): the error name travels in __type. */
export function sendAwsJsonError(res: ServerResponse, err: AwsServiceError): void {
  sendJson(res, err.status, { __type: err.code, message: err.message, ...err.extra }, 'application/x-amz-json-1.1');
}

/**
 * How long an idle client connection stays open. Node's default (5 s) is shorter than the pauses of
 * a busy client: a request written to a socket the server is closing is reset (ECONNRESET), which
 * SDK clients without retries surface. The SDK's agent drops a socket by the Keep-Alive hint first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** An HTTP server for a stand-in endpoint, keeping idle connections as a real endpoint does. */
export function createEndpointServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = http.createServer(handler);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // A request's headers and body arrive at once; these only need to exceed the idle timeout.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  server.requestTimeout = KEEP_ALIVE_TIMEOUT_MS + 2_000;
  return server;
}

/** Stops taking connections and resolves once open requests are answered (idle keep-alive sockets would hold close() open). */
export function closeEndpointServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  return closed;
}

/** Starts `server` listening and resolves its base URL (`http://127.0.0.1:PORT`); port 0 picks a free one. */
export function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      resolve(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`);
    });
  });
}
