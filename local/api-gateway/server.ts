import { closeEndpointServer, createEndpointServer, listen } from '../aws-http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { API_GATEWAY_MAX_REQUEST_BYTES, type RouteSpec } from '../../lib/topology';
import { createLambdaContext, invokeLocal, localFunction, type LambdaHandler } from '../lambda-context';
import { buildProxyEvent, type RequestIds } from './proxy-event';
import { gatewayResponse, MALFORMED, toHttpResponse, type HttpResponse } from './proxy-result';
import { RouteTable, type RouteMatch } from './route-table';
import type { WebSocketFront } from './websocket-front';

export interface ApiGatewayServerOptions {
  routes: readonly RouteSpec[];
  /** Resolves a function name to its handler (the caller loads the module). */
  handlers: Record<string, LambdaHandler>;
  /** Default 'local'; appears in requestContext.stage (the path itself is NOT prefixed with the stage locally). */
  stage?: string;
  /** API Gateway's integration timeout (29 s): after it the client gets the INTEGRATION_TIMEOUT gateway response. */
  integrationTimeoutMs?: number;
  /** Called once per request, after the response is written (for the console). */
  onRequest?: (info: { method: string; path: string; status: number; latencyMs: number; requestId: string; function: string }) => void;
  /** Called with each well-formed answer of a function (tests check it against the route's declared responses). */
  onFunctionResponse?: (response: FunctionResponse) => void;
  /** The WebSocket API served on the same port (upgrade requests of `/`). */
  webSocket?: WebSocketFront;
}

/** A function's answer as the client receives it, with the request it answers. */
export interface FunctionResponse {
  function: string;
  method: string;
  /** The path as sent (still percent-encoded), without the query string. */
  path: string;
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

/** A local REST API (v1) front: HTTP request → Lambda proxy event → handler in-process → HTTP response. */
export class ApiGatewayServer {
  private readonly table: RouteTable;
  private server?: Server;
  private stopping = false;

  constructor(private readonly options: ApiGatewayServerOptions) {
    this.table = new RouteTable(options.routes);
    for (const route of options.routes) {
      if (!options.handlers[route.function]) throw new Error(`No handler for function ${route.function} (route ${route.method} ${route.path})`);
    }
  }

  async start(port = 3000, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('ApiGatewayServer already started');
    const server = createEndpointServer((req, res) => void this.handle(req, res));
    const front = this.options.webSocket;
    if (front) server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => front.handleUpgrade(req, socket, head, String(req.headers.host ?? host)));
    this.server = server;
    this.stopping = false;
    return listen(server, port, host);
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.stopping = true;
    this.server = undefined;
    this.options.webSocket?.closeAll();
    await closeEndpointServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const ids = newRequestIds();
    const rawPath = (req.url ?? '/').split('?')[0];
    const match = this.table.match(req.method ?? 'GET', rawPath);
    let response: HttpResponse;
    try {
      const body = await readLimited(req, API_GATEWAY_MAX_REQUEST_BYTES);
      if (!body) response = TOO_LARGE();
      else if (!match) response = gatewayResponse('MISSING_AUTHENTICATION_TOKEN', 403, 'MissingAuthenticationTokenException');
      else response = await this.integrate(req, body, match, ids);
    } catch (err) {
      if (req.destroyed) return; // client went away mid-upload: nobody to answer
      console.error('local API Gateway:', err);
      response = gatewayResponse('DEFAULT_5XX', 500, 'InternalServerErrorException');
    }
    this.write(req, res, response, ids, () =>
      this.options.onRequest?.({
        method: req.method ?? '',
        path: rawPath,
        status: response.status,
        latencyMs: Math.round(performance.now() - started),
        requestId: ids.requestId,
        function: match?.route.function ?? '',
      }),
    );
  }

  private async integrate(
    req: IncomingMessage,
    body: Buffer,
    match: RouteMatch,
    ids: RequestIds,
  ): Promise<HttpResponse> {
    const event = buildProxyEvent(
      {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        rawHeaders: req.rawHeaders,
        body,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        localPort: req.socket.localPort ?? 0,
        httpVersion: req.httpVersion,
      },
      match,
      this.options.stage ?? 'local',
      ids,
    );
    const fn = localFunction(match.route.function);
    const context = createLambdaContext(fn);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS);
    });
    try {
      const outcome = await Promise.race([invokeLocal(this.options.handlers[fn.name], event, fn, context), timedOut]);
      if (outcome === 'timeout') return gatewayResponse('INTEGRATION_TIMEOUT', 504);
      // Lambda refuses the event before the function runs; API Gateway answers its own 413.
      if (!outcome.ok && outcome.errorType === 'RequestEntityTooLargeException') return TOO_LARGE();
      if (!outcome.ok) {
        // The Lambda runtime logs unhandled errors the same way; API Gateway only says 502.
        console.error(`${fn.functionName} ${context.awsRequestId} Invoke Error ${outcome.errorType}: ${outcome.errorMessage}`);
        return MALFORMED();
      }
      const response = toHttpResponse(outcome.result);
      if (!response) return MALFORMED();
      this.options.onFunctionResponse?.({ function: fn.name, method: req.method ?? 'GET', path: (req.url ?? '/').split('?')[0], ...response });
      return response;
    } finally {
      clearTimeout(timer);
    }
  }

  private write(req: IncomingMessage, res: ServerResponse, response: HttpResponse, ids: RequestIds, done: () => void): void {
    res.statusCode = response.status;
    for (const [name, values] of Object.entries(response.headers)) res.setHeader(name, values.length === 1 ? values[0] : values);
    res.setHeader('x-amzn-RequestId', ids.requestId);
    res.setHeader('x-amz-apigw-id', ids.extendedRequestId);
    res.setHeader('X-Amzn-Trace-Id', ids.traceId);
    const bodyless = response.status === 204 || response.status === 304 || response.status < 200;
    if (!bodyless) res.setHeader('Content-Length', response.body.length);
    // 413: the upload may still be arriving; do not leave it on a kept-alive connection.
    if (this.stopping || response.status === 413) res.setHeader('Connection', 'close');
    res.end(bodyless || req.method === 'HEAD' ? undefined : response.body, () => {
      try {
        done();
      } catch (err) {
        console.error('local API Gateway: onRequest failed:', err);
      }
    });
  }
}

const TOO_LARGE = () => gatewayResponse('REQUEST_TOO_LARGE', 413, 'BadRequestException');

function newRequestIds(): RequestIds {
  const receivedAt = new Date();
  return {
    requestId: randomUUID(),
    extendedRequestId: randomBytes(11).toString('base64'),
    traceId: `Root=1-${Math.floor(receivedAt.getTime() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`,
    receivedAt,
  };
}

/** The whole body, or null past `limit` (the rest is drained so the client can read our 413). */
async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? null : Buffer.concat(chunks);
}
