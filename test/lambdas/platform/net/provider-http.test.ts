import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { listen } from '../../../../local/aws-http';
import { providerRequest, ProviderHttpError, type ProviderRequest } from '../../../../lambdas/platform/net/provider-http';

type Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

let server: http.Server;
let base: string;
let port: string;
let handler: Handler;
const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: body.toString() });
      handler(req, res, body);
    });
  });
  base = await listen(server, 0, '127.0.0.1');
  port = new URL(base).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
});
afterEach(() => server.closeAllConnections());

const local = (extra: Partial<ProviderRequest> & Pick<ProviderRequest, 'url'>): ProviderRequest => ({ method: 'GET', allowPrivateNetwork: true, allowHttp: true, ...extra });

/** The typed error a call fails with. */
async function failure(promise: Promise<unknown>): Promise<ProviderHttpError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ProviderHttpError);
    return err as ProviderHttpError;
  }
  throw new Error('the request did not fail');
}

const SECRET_PATH = '/tenant-secret-path-8f3a';
const SECRET_QUERY = 'api_key=query-secret-1b2c3d4e';
/** No failure message may quote the path, the query, a header or a body. */
function expectClean(err: Error) {
  for (const secret of ['tenant-secret-path-8f3a', 'query-secret-1b2c3d4e', 'header-secret-77aa', 'body-secret-99bb']) expect(err.message).not.toContain(secret);
}

describe('providerRequest', () => {
  test('sends method, path, query, headers and body; returns status, headers, body and json()', async () => {
    handler = (_req, res) => res.writeHead(201, { 'content-type': 'application/json', 'x-reply': 'yes' }).end('{"token":"t","n":1}');
    const res = await providerRequest(
      local({ method: 'POST', url: `${base}/app/installations/42/access_tokens?x=1&y=%20z`, headers: { Authorization: 'Bearer abc', Accept: 'application/json' }, body: '{"a":1}' }),
    );
    expect(res.status).toBe(201);
    expect(res.headers['x-reply']).toBe('yes');
    expect(res.body.toString()).toBe('{"token":"t","n":1}');
    expect(res.json()).toEqual({ token: 't', n: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/app/installations/42/access_tokens?x=1&y=%20z', body: '{"a":1}' });
    expect(seen[0].headers).toMatchObject({ authorization: 'Bearer abc', accept: 'application/json', 'user-agent': 'Latchkey', 'content-length': '7' });
    expect(seen[0].headers['transfer-encoding']).toBeUndefined();
  });

  test('a POST without a body says content-length: 0 (not chunked); a caller User-Agent wins', async () => {
    await providerRequest(local({ method: 'POST', url: `${base}/x`, headers: { 'User-Agent': 'Mine/1' } }));
    expect(seen[0].headers).toMatchObject({ 'content-length': '0', 'user-agent': 'Mine/1' });
    expect(seen[0].headers['transfer-encoding']).toBeUndefined();
  });

  test('json() of a non-JSON body throws a SyntaxError that does not quote the body', async () => {
    handler = (_req, res) => res.end('not json body-secret-99bb');
    const res = await providerRequest(local({ url: `${base}/` }));
    expect(() => res.json()).toThrow(SyntaxError);
    try {
      res.json();
    } catch (err) {
      expectClean(err as Error);
    }
  });

  test('redirects are returned as they are, never followed', async () => {
    handler = (req, res) => (req.url === '/start' ? res.writeHead(302, { location: '/elsewhere' }).end() : res.end('followed'));
    const res = await providerRequest(local({ url: `${base}/start` }));
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/elsewhere');
    expect(seen.map((s) => s.url)).toEqual(['/start']);
  });

  test('connects only to the addresses the check resolved: DNS is asked once, the Host header keeps the name', async () => {
    const resolve = jest.fn(async () => [{ address: '127.0.0.1', family: 4 as const }]);
    const res = await providerRequest(local({ url: `http://provider.invalid:${port}/pinned`, resolve }));
    expect(res.status).toBe(200);
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(seen[0].headers.host).toBe(`provider.invalid:${port}`);
  });

  test('loopback, private and local targets are refused without allowPrivateNetwork; http without allowHttp', async () => {
    const cases: [string, Partial<ProviderRequest>][] = [
      [`${base}/x`, { allowHttp: true }],
      [`http://localhost:${port}/x`, { allowHttp: true }],
      [`http://[::1]:${port}/x`, { allowHttp: true }],
      ['https://169.254.169.254/latest/meta-data/', {}],
      [`https://rebind.invalid${SECRET_PATH}?${SECRET_QUERY}`, { resolve: async () => [{ address: '10.0.0.7', family: 4 }] }],
      [`${base}/x`, { allowPrivateNetwork: true }],
      ['ftp://example.com/x', {}],
    ];
    for (const [url, options] of cases) {
      const err = await failure(providerRequest({ method: 'GET', url, ...options }));
      expect(err.reason).toBe('blocked');
      expectClean(err);
    }
    expect(seen).toHaveLength(0);
  });

  test('a private answer among public ones is refused (any address could be used)', async () => {
    const resolve = async () => [{ address: '8.8.8.8', family: 4 as const }, { address: '127.0.0.1', family: 4 as const }];
    expect((await failure(providerRequest({ method: 'GET', url: 'https://mixed.invalid/', resolve }))).reason).toBe('blocked');
  });

  test('an unknown host and a refused connection are network errors with the system code', async () => {
    // The resolver is injected: an unknown name (ENOTFOUND) and no reachable DNS server (EAI_AGAIN) alike.
    for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
      const resolve = async (hostname: string) => Promise.reject(Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code }));
      const unknown = await failure(providerRequest({ method: 'GET', url: `https://no-such-host.invalid${SECRET_PATH}?${SECRET_QUERY}`, resolve }));
      expect(unknown).toMatchObject({ reason: 'network', code: 'ENOTFOUND' });
      expectClean(unknown);
    }
    const closed = http.createServer();
    const closedBase = await listen(closed, 0, '127.0.0.1');
    await new Promise((resolve) => closed.close(resolve));
    const refused = await failure(providerRequest(local({ url: `${closedBase}${SECRET_PATH}?${SECRET_QUERY}`, headers: { authorization: 'header-secret-77aa' }, body: 'body-secret-99bb', method: 'POST' })));
    expect(refused).toMatchObject({ reason: 'network', code: 'ECONNREFUSED' });
    expectClean(refused);
  });

  test('a server that never answers, or stalls mid-body, hits the hard deadline', async () => {
    handler = () => undefined; // never answers
    let started = Date.now();
    const silent = await failure(providerRequest(local({ url: `${base}${SECRET_PATH}?${SECRET_QUERY}`, timeoutMs: 200 })));
    expect(silent.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
    expectClean(silent);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    };
    started = Date.now();
    const stalled = await failure(providerRequest(local({ url: `${base}/stall`, timeoutMs: 200 })));
    expect(stalled.reason).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('responses over the size cap are refused, declared or streamed', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-length': String(2048) }).end(Buffer.alloc(2048));
    expect((await failure(providerRequest(local({ url: `${base}/declared`, maxResponseBytes: 1024 })))).reason).toBe('too_large');
    handler = (_req, res) => {
      res.writeHead(200); // chunked: no length up front
      for (let i = 0; i < 8; i += 1) res.write(Buffer.alloc(512));
      res.end();
    };
    expect((await failure(providerRequest(local({ url: `${base}/streamed`, maxResponseBytes: 1024 })))).reason).toBe('too_large');
    // The default cap is 1 MiB.
    handler = (_req, res) => res.end(Buffer.alloc(1024 * 1024 + 1));
    expect((await failure(providerRequest(local({ url: `${base}/big` })))).reason).toBe('too_large');
    handler = (_req, res) => res.end(Buffer.alloc(1024 * 1024));
    expect((await providerRequest(local({ url: `${base}/max` }))).body.length).toBe(1024 * 1024);
  });

  test('a connection cut mid-body is a network error', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    };
    expect((await failure(providerRequest(local({ url: `${base}/cut` })))).reason).toBe('network');
  });
});

describe('providerRequest: connection phases', () => {
  test('a server that accepts the TCP connection but never completes TLS hits the connect timeout, well before the overall deadline', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    try {
      const started = Date.now();
      const err = await failure(providerRequest(local({ url: url.replace('http:', 'https:'), connectTimeoutMs: 200, timeoutMs: 5_000 })));
      expect([err.reason, err.message]).toEqual(['timeout', 'Connecting to 127.0.0.1 timed out after 200 ms']);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('a server that goes silent after the headers hits the read timeout, well before the overall deadline', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    };
    const started = Date.now();
    const err = await failure(providerRequest(local({ url: `${base}/silent`, readTimeoutMs: 200, timeoutMs: 5_000 })));
    expect([err.reason, err.message]).toEqual(['timeout', '127.0.0.1 sent nothing for 200 ms']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  test('TLS certificates are verified: a self-signed server is refused as a network failure', async () => {
    // A throwaway self-signed certificate for 127.0.0.1, checked in (valid until 2126): no CA signed it.
    const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/tls', name));
    const tls = https.createServer({ key: fixture('self-signed.key.pem'), cert: fixture('self-signed.cert.pem') }, (_req, res) => res.end('{"ok":true}'));
    const url = (await listen(tls, 0, '127.0.0.1')).replace('http:', 'https:');
    try {
      const err = await failure(providerRequest(local({ url })));
      expect(err.reason).toBe('network');
      expect(err.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      tls.closeAllConnections();
      await new Promise((resolve) => tls.close(resolve));
    }
  });
});
