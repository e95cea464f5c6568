import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback upstream for the proxy's tests and bench: it records every request (method, path,
 * query, headers, body bytes) and the connections made to it, and answers as `answer` says
 * (default: 200 with a JSON echo of what it saw).
 */

export interface SeenRequest {
  method: string;
  url: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface UpstreamAnswer {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface Upstream {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  requests: SeenRequest[];
  /** TCP connections accepted since start or the last reset. */
  connections: number;
  answer: (req: SeenRequest, index: number) => UpstreamAnswer | Promise<UpstreamAnswer>;
  reset(): void;
  stop(): Promise<void>;
}

const echo = (req: SeenRequest): UpstreamAnswer => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ method: req.method, path: req.path, query: Object.fromEntries(req.query), headers: req.headers, bytes: req.body.length }),
});

/** `port`: listen there again (a test that stopped the upstream restarts it where providers point). */
export async function startUpstream(port = 0): Promise<Upstream> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://upstream.invalid');
      const seen: SeenRequest = { method: req.method ?? 'GET', url: req.url ?? '/', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      state.requests.push(seen);
      try {
        const answer = await state.answer(seen, state.requests.length - 1);
        res.writeHead(answer.status ?? 200, answer.headers ?? {});
        res.end(answer.body);
      } catch {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', () => (state.connections += 1));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  const state: Upstream = {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests: [],
    connections: 0,
    answer: echo,
    reset() {
      state.requests.length = 0;
      state.connections = 0;
      state.answer = echo;
    },
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}
