import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshConnection } from '../../lambdas/connections/refresh/refresh-coordinator';
import type { ResolvedAddress } from '../../lambdas/platform/net/network-policy';
import { proxyCall } from '../../lambdas/proxy/proxy-call';
import { ProxyHeadersSchema } from '../../lambdas/proxy/proxy-schema';
import { database, envelopeCipher } from '../support/handles';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { startUpstream, type Upstream } from '../support/upstream';
import { importConnection, postIntegration, putProvider } from '../lambdas/functions/proxy/proxy-fixtures';

/**
 * The proxy never sends a request (let alone a credential) to a private, loopback, link-local or
 * metadata address unless the provider is a custom one with `allow_private_network` and the
 * address is its own fixed host: IP literals in every notation, overrides, names that resolve
 * there and redirects that point there are refused before any connection. Every target here is
 * a loopback listener that counts connections; nothing else is ever addressed.
 */

jest.setTimeout(120_000);

let t: TestStack;
let up: Upstream;
let target: http.Server;
let targetPort: number;
let connections = 0;
const KEY = 'ssrf-api-key-0123456789abcdef';

/** 127.0.0.1 and ::1 (the listener) in the notations URL parsers and resolvers accept. */
const LITERALS = (port: number) => [
  `https://127.0.0.1:${port}`,
  `https://2130706433:${port}`,
  `https://0x7f000001:${port}`,
  `https://0x7f.0.0.1:${port}`,
  `https://0177.0.0.1:${port}`,
  `https://0177.0.0.01:${port}`,
  `https://127.1:${port}`,
  `https://127.0.1:${port}`,
  `https://[::1]:${port}`,
  `https://[0:0:0:0:0:0:0:1]:${port}`,
  `https://[::ffff:127.0.0.1]:${port}`,
  `https://[::ffff:7f00:1]:${port}`,
  `https://[0:0:0:0:0:ffff:7f00:1]:${port}`,
  `https://[::ffff:0:7f00:1]:${port}`,
  `https://[::127.0.0.1]:${port}`,
  `https://localhost:${port}`,
  `https://api.localhost:${port}`,
];

beforeAll(async () => {
  [t, up] = await Promise.all([startTestStack(), startUpstream()]);
  t.secrets.register(KEY);
  target = http.createServer((_req, res) => res.end('reached'));
  target.on('connection', () => (connections += 1));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetPort = (target.address() as AddressInfo).port;
  // Follows redirects only when asked; its own loopback host is allowed (allow_private_network).
  await putProvider(t, 'ssrf-up', { auth_mode: 'API_KEY', proxy: { base_url: up.url, headers: { 'x-api-key': '${apiKey}' } } });
  await postIntegration(t, 'ssrf-up', 'ssrf-up');
  await importConnection(t, 'ssrf-up', 'c', { type: 'API_KEY', apiKey: KEY });
  // A provider on a public name: its hosts are whatever DNS says, checked at each call.
  await t.api('/providers/ssrf-public', { method: 'PUT', json: { display_name: 'public', auth_mode: 'API_KEY', proxy: { base_url: 'https://api.example.test', headers: { 'x-api-key': '${apiKey}' } } } });
  await postIntegration(t, 'ssrf-public', 'ssrf-public');
  await importConnection(t, 'ssrf-public', 'c', { type: 'API_KEY', apiKey: KEY });
  await t.api('/providers/ssrf-named', { method: 'PUT', json: { display_name: 'named', auth_mode: 'API_KEY', proxy: { base_url: `https://api.example.test:${targetPort}`, headers: { 'x-api-key': '${apiKey}' } } } });
  await postIntegration(t, 'ssrf-named', 'ssrf-named');
  await importConnection(t, 'ssrf-named', 'c', { type: 'API_KEY', apiKey: KEY });
});
afterAll(async () => {
  await new Promise<void>((resolve) => target?.close(() => resolve()));
  await up?.stop();
  await t?.stop();
});
beforeEach(() => {
  connections = 0;
  up.reset();
});

describe('a provider whose base URL is a loopback literal (no allow_private_network)', () => {
  test.each(LITERALS(0).map((_, i) => i))('notation %# is refused as a definition: nothing can call it', async (i) => {
    const name = `ssrf-lit-${i}`;
    const put = await t.api(`/providers/${name}`, { method: 'PUT', json: { display_name: name, auth_mode: 'API_KEY', proxy: { base_url: LITERALS(targetPort)[i], headers: { 'x-api-key': '${apiKey}' } } } });
    expect(put.status).toBe(400);
    expect(connections).toBe(0);
  });
});

describe('Base-Url-Override', () => {
  test.each(LITERALS(0).map((_, i) => i))('to a loopback literal, notation %#', async (i) => {
    const res = await readJson(await t.api('/proxy/x', { headers: { 'connection-id': 'c', 'provider-config-key': 'ssrf-public', 'base-url-override': LITERALS(targetPort)[i] } }));
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'base_url_override_not_allowed' } } });
    expect(connections).toBe(0);
  });

  test('any override of a host other than the provider\'s: refused before any request (fast-check)', async () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const notation = fc.tuple(octet, octet, octet, fc.constantFrom('dec', 'hex', 'oct', 'int', 'short')).map(([b, c, d, form]) => {
      const n = (127 << 24) + (b << 16) + (c << 8) + d;
      if (form === 'int') return String(n >>> 0);
      if (form === 'short') return `127.${(b << 16) + (c << 8) + d}`;
      const part = (x: number) => (form === 'hex' ? `0x${x.toString(16)}` : form === 'oct' ? `0${x.toString(8)}` : String(x));
      return [127, b, c, d].map(part).join('.');
    });
    await fc.assert(
      fc.asyncProperty(notation, fc.constantFrom('http', 'https'), async (host, scheme) => {
        const res = await t.api('/proxy/x', { headers: { 'connection-id': 'c', 'provider-config-key': 'ssrf-up', 'base-url-override': `${scheme}://${host}:${targetPort}` } });
        await res.arrayBuffer();
        return res.status === 400 && connections === 0;
      }),
      { numRuns: 25 },
    );
  });
});

describe('redirects', () => {
  // `manual`: the test's own client must not follow the 3xx either.
  const call = (follow: boolean) => t.api('/proxy/start', { redirect: 'manual', headers: { 'connection-id': 'c', 'provider-config-key': 'ssrf-up', ...(follow ? { 'follow-redirects': 'true' } : {}) } });

  test('not followed unless asked: the 3xx comes back as it is', async () => {
    up.answer = () => ({ status: 302, headers: { location: `http://127.0.0.1:${targetPort}/steal` }, body: '' });
    const res = await call(false);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`http://127.0.0.1:${targetPort}/steal`);
    expect(connections).toBe(0);
  });

  test.each(LITERALS(0).map((_, i) => i))('followed when asked, but never to another private origin: notation %#', async (i) => {
    const location = `${LITERALS(targetPort)[i].replace('https:', 'http:')}/steal`;
    up.answer = () => ({ status: 302, headers: { location }, body: '' });
    const res = await readJson(await call(true));
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'host_not_allowed' } } });
    expect(up.requests).toHaveLength(1);
    expect(connections).toBe(0);
  });

  test('a same-origin redirect is followed with the credentials', async () => {
    up.answer = (req) => (req.path === '/start' ? { status: 307, headers: { location: '/next?a=1' }, body: '' } : { status: 200, body: 'there' });
    const res = await call(true);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('there');
    expect(up.requests.map((r) => [r.path, r.headers['x-api-key']])).toEqual([
      ['/start', KEY],
      ['/next', KEY],
    ]);
  });
});

describe('names that resolve to loopback (injected resolver, in process)', () => {
  const resolveTo = (...addresses: ResolvedAddress[]) => async () => addresses;
  test.each([
    [[{ address: '127.0.0.1', family: 4 }]],
    [[{ address: '127.0.0.2', family: 4 }]],
    [[{ address: '::1', family: 6 }]],
    [[{ address: '::ffff:127.0.0.1', family: 6 }]],
    [[{ address: '::ffff:7f00:1', family: 6 }]],
    [[{ address: '64:ff9b::7f00:1', family: 6 }]],
    // Any private answer among several refuses the name: the socket could use any of them.
    [[{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]],
  ] as ResolvedAddress[][][])('%j → refused, nothing contacted', async (addresses) => {
    const [{ id: environmentId }] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
    const failure = await proxyCall({
      db: database(),
      cipher: envelopeCipher(),
      key: { environmentId, providerConfigKey: 'ssrf-named', connectionId: 'c' },
      method: 'GET',
      endpoint: `/x`,
      query: [],
      headers: {},
      options: ProxyHeadersSchema.parse({ 'connection-id': 'c', 'provider-config-key': 'ssrf-named', retries: '2' }),
      now: new Date(),
      audit: { environmentId, actor: { type: 'system', id: 'test' }, request: { requestId: null, sourceIp: null, userAgent: null }, outcome: 'success' },
      refresh: refreshConnection,
      resolve: resolveTo(...addresses),
    }).then(
      () => undefined,
      (err: { reason?: string }) => err.reason,
    );
    expect(failure).toBe('host_not_allowed');
    expect(connections).toBe(0);
  });
});
