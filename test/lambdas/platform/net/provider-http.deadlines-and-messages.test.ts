import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { providerRequest, ProviderHttpError, type ProviderRequest } from '../../../../lambdas/platform/net/provider-http';
import type { ResolvedAddress } from '../../../../lambdas/platform/net/network-policy';

/**
 * The outbound client's deadlines, measured from the start of the call (DNS included), the
 * content-length it sends, what each failure says, and that a finished call leaves no timer behind.
 * Every server is on loopback; refusals are shown by the server never seeing a connection.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: http.Server;
let port: number;
let handler: Handler;
let connections = 0;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
  connections = 0;
  handler = (_req, res) => res.end('{"ok":true}');
});
afterEach(() => server.closeAllConnections());

const base = () => `http://127.0.0.1:${port}`;
const local = (extra: Partial<ProviderRequest> & Pick<ProviderRequest, 'url'>): ProviderRequest => ({ method: 'GET', allowPrivateNetwork: true, allowHttp: true, ...extra });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// A certificate for 127.0.0.1 and ::1 (valid until 2126). Trusted only inside trustingLoopbackCa, the way
// a machine trusts the CAs in its store; TLS verification itself stays on.
const fixture = (name: string) => fs.readFileSync(path.resolve(__dirname, '../../../fixtures/tls', name));
const LOOPBACK_CERT = fixture('loopback.cert.pem');

async function trustingLoopbackCa<T>(run: () => Promise<T>): Promise<T> {
  const realConnect = tls.connect;
  tls.connect = ((options: tls.ConnectionOptions, ...rest: unknown[]) =>
    (realConnect as (...args: unknown[]) => tls.TLSSocket)({ ...options, ca: LOOPBACK_CERT }, ...rest)) as typeof tls.connect;
  try {
    return await run();
  } finally {
    tls.connect = realConnect;
  }
}

async function trustedHttpsServer(onRequest: Handler, host: string): Promise<{ port: number; close(): Promise<void> }> {
  const tlsServer = https.createServer({ key: fixture('loopback.key.pem'), cert: LOOPBACK_CERT }, onRequest);
  await new Promise<void>((resolve) => tlsServer.listen(0, host, resolve));
  return {
    port: (tlsServer.address() as AddressInfo).port,
    close: async () => {
      tlsServer.closeAllConnections();
      await new Promise((resolve) => tlsServer.close(resolve));
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderHttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProviderHttpError);
  return error as ProviderHttpError;
}
const summary = (err: ProviderHttpError) => ({ name: err.name, reason: err.reason, message: err.message, code: err.code });

describe('what a failure says: the reason, the host, the system code; never the URL', () => {
  test('refused by the policy, unknown host, refused connection', async () => {
    expect(summary(await failure(providerRequest({ method: 'GET', url: 'https://169.254.169.254/latest/meta-data/' })))).toEqual({
      name: 'ProviderHttpError',
      reason: 'blocked',
      message: 'Host 169.254.169.254 resolves to a non-public address',
      code: undefined,
    });
    const unknown = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    expect(summary(await failure(providerRequest({ method: 'GET', url: 'https://nowhere.test/path?key=1', resolve: unknown })))).toEqual({
      name: 'ProviderHttpError',
      reason: 'network',
      message: 'Host nowhere.test could not be resolved',
      code: 'ENOTFOUND',
    });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(summary(await failure(providerRequest(local({ url: `http://127.0.0.1:${closedPort}/x` }))))).toEqual({
      name: 'ProviderHttpError',
      reason: 'network',
      message: 'Request to 127.0.0.1 failed (ECONNREFUSED)',
      code: 'ECONNREFUSED',
    });
  });

  test('timed out, too large, cut off, not JSON', async () => {
    handler = () => undefined;
    expect(summary(await failure(providerRequest(local({ url: `${base()}/silent`, timeoutMs: 150 }))))).toEqual({
      name: 'ProviderHttpError',
      reason: 'timeout',
      message: 'Request to 127.0.0.1 timed out after 150 ms',
      code: undefined,
    });
    handler = (_req, res) => res.end(Buffer.alloc(2048));
    expect(summary(await failure(providerRequest(local({ url: `${base()}/big`, maxResponseBytes: 1024 }))))).toEqual({
      name: 'ProviderHttpError',
      reason: 'too_large',
      message: 'Response from 127.0.0.1 is larger than 1024 bytes',
      code: undefined,
    });
    handler = (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial', () => req.socket.destroy());
    };
    expect(summary(await failure(providerRequest(local({ url: `${base()}/cut` }))))).toEqual({
      name: 'ProviderHttpError',
      reason: 'network',
      message: 'Response from 127.0.0.1 was cut off',
      code: 'ECONNRESET',
    });
    handler = (_req, res) => res.end('<html>');
    const res = await providerRequest(local({ url: `${base()}/html` }));
    expect(() => res.json()).toThrow(new SyntaxError('Response body is not valid JSON'));
  });
});

describe('the deadline counts from the start of the call, DNS included', () => {
  test('a resolver slower than the deadline: a timeout naming the host, and no connection, even once it answers', async () => {
    let answered!: Promise<void>;
    const resolve = (): Promise<ResolvedAddress[]> => {
      const answer = sleep(400).then((): ResolvedAddress[] => [{ address: '127.0.0.1', family: 4 }]);
      answered = answer.then(() => undefined);
      return answer;
    };
    const started = Date.now();
    const err = await failure(providerRequest(local({ url: `http://slow-dns.test:${port}/`, resolve, timeoutMs: 100 })));
    expect(Date.now() - started).toBeLessThan(400);
    expect(summary(err)).toEqual({ name: 'ProviderHttpError', reason: 'timeout', message: 'Request to slow-dns.test timed out after 100 ms', code: undefined });
    await answered;
    await sleep(50);
    expect(connections).toBe(0);
  });

  test('an answer that arrives just as the deadline passes is not used: a timeout, and no connection', async () => {
    // Only Date is faked (the timers stay real): the resolver answers at the very millisecond of the deadline.
    const start = Date.now();
    jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'hrtime', 'performance'] });
    try {
      const resolve = async (): Promise<ResolvedAddress[]> => {
        jest.setSystemTime(start + 5_000);
        return [{ address: '127.0.0.1', family: 4 }];
      };
      const err = await failure(providerRequest(local({ url: `http://late-dns.test:${port}/`, resolve, timeoutMs: 5_000 })));
      expect(summary(err)).toEqual({ name: 'ProviderHttpError', reason: 'timeout', message: 'Request to late-dns.test timed out after 5000 ms', code: undefined });
    } finally {
      jest.useRealTimers();
    }
    await sleep(100);
    expect(connections).toBe(0);
  });
});

describe('the connect timeout covers only the connection', () => {
  test('a provider slower to answer than the connect timeout still succeeds (http)', async () => {
    handler = (_req, res) => void setTimeout(() => res.end('{"slow":true}'), 1_300);
    const res = await providerRequest(local({ url: `${base()}/slow`, connectTimeoutMs: 1_000, timeoutMs: 10_000 }));
    expect(res.json()).toEqual({ slow: true });
  });

  test('a provider slower to answer than the connect timeout still succeeds (https, once the handshake is done)', async () => {
    const slow = await trustedHttpsServer((_req, res) => void setTimeout(() => res.end('{"slow":true}'), 1_300), '127.0.0.1');
    try {
      const res = await trustingLoopbackCa(() => providerRequest(local({ url: `https://127.0.0.1:${slow.port}/slow`, connectTimeoutMs: 1_000, timeoutMs: 10_000 })));
      expect(res.json()).toEqual({ slow: true });
    } finally {
      await slow.close();
    }
  });
});

describe('https to an IPv6 literal', () => {
  test('the certificate is checked against the bare address (::1), not the bracketed URL host', async () => {
    const v6 = await trustedHttpsServer((req, res) => res.end(JSON.stringify({ host: req.headers.host })), '::1');
    try {
      const res = await trustingLoopbackCa(() => providerRequest(local({ url: `https://[::1]:${v6.port}/` })));
      expect(res.json()).toEqual({ host: `[::1]:${v6.port}` });
    } finally {
      await v6.close();
    }
  });
});

describe('size cap', () => {
  test('a declared length over the cap fails at the headers, without waiting for the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '4096' });
      res.write('the rest never comes');
    };
    const started = Date.now();
    const err = await failure(providerRequest(local({ url: `${base()}/declared`, maxResponseBytes: 1024, timeoutMs: 5_000, readTimeoutMs: 5_000 })));
    expect(err.reason).toBe('too_large');
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('content-length', () => {
  test('GET and HEAD without a body send none; other methods send 0; a body sends its byte length', async () => {
    const sent: Record<string, string | undefined> = {};
    for (const method of ['GET', 'HEAD', 'DELETE', 'POST', 'PUT', 'PATCH'] as const) {
      seen.length = 0;
      await providerRequest(local({ method, url: `${base()}/${method}` }));
      sent[method] = seen[0]['content-length'];
    }
    expect(sent).toEqual({ GET: undefined, HEAD: undefined, DELETE: '0', POST: '0', PUT: '0', PATCH: '0' });
    seen.length = 0;
    await providerRequest(local({ method: 'PUT', url: `${base()}/body`, body: 'é€' }));
    expect(seen[0]['content-length']).toBe('5');
  });
});

describe('no timer outlives the call', () => {
  const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
  async function settledTimers(baseline: number): Promise<number> {
    // Sockets close a moment after the call returns; bounded wait.
    for (let i = 0; i < 20 && timers() > baseline; i += 1) await sleep(25);
    return timers();
  }

  test('after a success, a refused connection, a timeout and an oversized response', async () => {
    const baseline = timers();
    const long = { timeoutMs: 60_000, connectTimeoutMs: 60_000, readTimeoutMs: 60_000 };
    await providerRequest(local({ url: `${base()}/ok`, ...long }));
    expect(await settledTimers(baseline)).toBe(baseline);

    handler = (_req, res) => res.end(Buffer.alloc(2048));
    await failure(providerRequest(local({ url: `${base()}/big`, maxResponseBytes: 1024, ...long })));
    expect(await settledTimers(baseline)).toBe(baseline);

    handler = () => undefined;
    await failure(providerRequest(local({ url: `${base()}/silent`, ...long, readTimeoutMs: 100 })));
    expect(await settledTimers(baseline)).toBe(baseline);

    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await failure(providerRequest(local({ url: `http://127.0.0.1:${closedPort}/`, ...long })));
    expect(await settledTimers(baseline)).toBe(baseline);
  });
});
