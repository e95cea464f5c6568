import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { readJson, startTestStack, type TestStack } from '../../../support/local-stack';
import { startUpstream, type Upstream, type UpstreamAnswer } from '../../../support/upstream';
import { startFakeGithub, type FakeGithub } from '../../connections/fake-github';
import { importConnection, postIntegration, proxyEvents, putProvider } from './proxy-fixtures';

/**
 * `<METHOD> /proxy/*` through the real @nangohq/node SDK against a loopback upstream: each auth
 * mode's injection, the provider's header and query templates, Nango-Proxy-* forwarding, bodies
 * byte for byte, what comes back, retries, and the refusals in Nango's envelope.
 */

let t: TestStack;
let up: Upstream;
let gh: FakeGithub;
let nango: Nango;
const API_KEY = 'proxy-api-key-0123456789abcdef';
const QUERY_KEY = 'proxy-query-key-0123456789abcdef';
const PASSWORD = 'proxy-basic-password-0123456789';
const ACCESS_TOKEN = 'proxy-oauth-access-token-0123456789';
const CC_TOKEN = 'proxy-cc-token-0123456789abcdef';
const CC_SECRET = 'proxy-cc-client-secret-0123456789';
const rows: Record<string, string> = {};

beforeAll(async () => {
  [t, up, gh] = await Promise.all([startTestStack(), startUpstream(), startFakeGithub('271828')]);
  t.secrets.register(API_KEY, QUERY_KEY, PASSWORD, ACCESS_TOKEN, CC_TOKEN, CC_SECRET, Buffer.from(`user:${PASSWORD}`).toString('base64'));
  t.secrets.register(gh.privateKeyPem, ...gh.privateKeyPem.split('\n').filter((line) => line.length >= 40));
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });

  await putProvider(t, 'up-key', { auth_mode: 'API_KEY', connection_config: { tenant: { title: 'Tenant' } }, proxy: { base_url: `${up.url}/api/\${connectionConfig.tenant}`, headers: { 'X-Api-Key': '${apiKey}', 'X-Tenant': '${connectionConfig.tenant}' } } });
  await putProvider(t, 'up-query', { auth_mode: 'API_KEY', proxy: { base_url: up.url, query: { api_key: '${apiKey}' } } });
  await putProvider(t, 'up-basic', { auth_mode: 'BASIC', proxy: { base_url: up.url } });
  await putProvider(t, 'up-oauth', { auth_mode: 'OAUTH2', authorization_url: `${up.url}/authorize`, token_url: `${up.url}/token`, proxy: { base_url: up.url } });
  await putProvider(t, 'up-cc', { auth_mode: 'OAUTH2_CC', token_url: `${up.url}/token`, proxy: { base_url: up.url } });
  await putProvider(t, 'up-app', {
    auth_mode: 'APP',
    authorization_url: `${gh.baseUrl}/apps/x/installations/new`,
    token_url: `${gh.baseUrl}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
    connection_config: { installation_id: { title: 'Installation', automated: true } },
    proxy: { base_url: up.url },
  });
  await putProvider(t, 'up-nobase', { auth_mode: 'API_KEY', proxy: { base_url: up.url, headers: { authorization: 'Token ${apiKey}' } } });
  for (const name of ['up-key', 'up-query', 'up-basic', 'up-nobase']) await postIntegration(t, name, name);
  await postIntegration(t, 'up-oauth', 'up-oauth', { type: 'OAUTH2', client_id: 'cid', client_secret: 'oauth-client-secret-0123456789' });
  await postIntegration(t, 'up-cc', 'up-cc');
  await postIntegration(t, 'up-app', 'up-app', { type: 'APP', app_id: gh.appId, app_link: 'https://github.com/apps/fake', private_key: gh.privateKeyPem });
  t.secrets.register('oauth-client-secret-0123456789');

  rows.key = await importConnection(t, 'up-key', 'key-1', { type: 'API_KEY', apiKey: API_KEY }, { tenant: 'acme' });
  rows.query = await importConnection(t, 'up-query', 'query-1', { type: 'API_KEY', apiKey: QUERY_KEY });
  rows.basic = await importConnection(t, 'up-basic', 'basic-1', { type: 'BASIC', username: 'user', password: PASSWORD });
  rows.oauth = await importConnection(t, 'up-oauth', 'oauth-1', { type: 'OAUTH2', access_token: ACCESS_TOKEN, expires_at: new Date(Date.now() + 3600_000).toISOString() });
  rows.cc = await importConnection(t, 'up-cc', 'cc-1', { type: 'OAUTH2_CC', token: CC_TOKEN, client_id: 'cc-client', client_secret: CC_SECRET, expires_at: new Date(Date.now() + 3600_000).toISOString() });
  rows.app = await importConnection(t, 'up-app', 'app-1', { type: 'APP', app_id: gh.appId, installation_id: '77' });
  rows.nobase = await importConnection(t, 'up-nobase', 'nobase-1', { type: 'API_KEY', apiKey: API_KEY });
});
afterAll(async () => {
  t.secrets.register(...gh.tokens, ...gh.requests.map((r) => r.jwt ?? '').filter((jwt) => jwt.length >= 12));
  await gh?.stop();
  await up?.stop();
  await t?.stop();
});
beforeEach(() => up.reset());

describe('credentials are injected per auth mode and provider template', () => {
  test('API key through a header template with connection config; the base URL template too; Nango-Proxy-* forwarded, the query passed through', async () => {
    const res = await nango.get({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/v1/items', params: { page: '2', q: 'a b&c' }, headers: { 'X-Request-Tag': 'tag-1', Accept: 'application/json' } });
    expect(res.status).toBe(200);
    expect(up.requests).toHaveLength(1);
    const [seen] = up.requests;
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/api/acme/v1/items');
    expect(Object.fromEntries(seen.query)).toEqual({ page: '2', q: 'a b&c' });
    expect(seen.headers['x-api-key']).toBe(API_KEY);
    expect(seen.headers['x-tenant']).toBe('acme');
    expect(seen.headers['x-request-tag']).toBe('tag-1');
    expect(seen.headers.accept).toBe('application/json');
    // Nothing of ours goes upstream: no secret key, no Nango control header.
    expect(JSON.stringify(seen.headers)).not.toContain(t.devKey);
    expect(Object.keys(seen.headers).filter((name) => /^(nango-|connection-id|provider-config-key|base-url-override|retries)/.test(name))).toEqual([]);
    expect(seen.headers.authorization).toBeUndefined();
  });

  test('API key through a query template; a caller cannot replace it', async () => {
    await nango.get({ providerConfigKey: 'up-query', connectionId: 'query-1', endpoint: '/search', params: { api_key: 'mine', x: '1' } });
    expect(up.requests[0].query.getAll('api_key')).toEqual([QUERY_KEY]);
    expect(up.requests[0].query.get('x')).toBe('1');
  });

  test('a provider Authorization template wins over the default and over the caller', async () => {
    await nango.get({ providerConfigKey: 'up-nobase', connectionId: 'nobase-1', endpoint: '/me', headers: { Authorization: 'Bearer caller' } });
    expect(up.requests[0].headers.authorization).toBe(`Token ${API_KEY}`);
  });

  test.each([
    ['basic', 'up-basic', 'basic-1', () => `Basic ${Buffer.from(`user:${PASSWORD}`).toString('base64')}`],
    ['OAuth2 bearer', 'up-oauth', 'oauth-1', () => `Bearer ${ACCESS_TOKEN}`],
    ['OAuth2 client credentials', 'up-cc', 'cc-1', () => `Bearer ${CC_TOKEN}`],
    ['GitHub App installation token', 'up-app', 'app-1', () => `Bearer ${gh.tokens[0]}`],
  ])('%s', async (_name, pck, connectionId, expected) => {
    const res = await nango.get({ providerConfigKey: pck, connectionId, endpoint: '/whoami' });
    expect(res.status).toBe(200);
    expect(up.requests[0].headers.authorization).toBe(expected());
  });
});

describe('bodies and answers pass byte for byte', () => {
  test('a binary upload and a binary download (every byte value)', async () => {
    const upload = randomBytes(300_000);
    const download = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256));
    up.answer = () => ({ status: 201, headers: { 'content-type': 'application/octet-stream', 'x-upstream': 'yes' }, body: download });
    const res = await nango.post({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/files', data: upload, headers: { 'Content-Type': 'application/octet-stream' }, responseType: 'arraybuffer' });
    expect(res.status).toBe(201);
    expect(up.requests[0].body.equals(upload)).toBe(true);
    expect(up.requests[0].headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(res.data as ArrayBuffer).equals(download)).toBe(true);
    expect(res.headers['x-upstream']).toBe('yes');
  });

  test('a multipart form with a binary file part, exactly as sent', async () => {
    const boundary = '----latchkey-boundary-7d1f';
    const file = randomBytes(50_000);
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nRapport été\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      file,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    await nango.put({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/upload', data: multipart, headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` } });
    expect(up.requests[0].method).toBe('PUT');
    expect(up.requests[0].headers['content-type']).toBe(`multipart/form-data; boundary=${boundary}`);
    expect(up.requests[0].body.equals(multipart)).toBe(true);
  });

  test('JSON, form and UTF-8 text bodies with PATCH, POST and DELETE', async () => {
    await nango.patch({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/items/1', data: { name: 'Zoë 🚀', n: 1 } });
    await nango.post({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/form', data: 'a=1&b=%C3%A9', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    await nango.delete({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/items/1' });
    expect(up.requests.map((r) => r.method)).toEqual(['PATCH', 'POST', 'DELETE']);
    expect(JSON.parse(up.requests[0].body.toString('utf8'))).toEqual({ name: 'Zoë 🚀', n: 1 });
    expect(up.requests[0].headers['content-type']).toMatch(/^application\/json/);
    expect(up.requests[1].body.toString('utf8')).toBe('a=1&b=%C3%A9');
    expect(up.requests[2].body.length).toBe(0);
  });

  test("the upstream's status and headers come back without hop-by-hop, CORS, cookie or credential-bearing headers", async () => {
    up.answer = () => ({
      status: 418,
      headers: {
        'content-type': 'application/json',
        'x-rate-limit-remaining': '41',
        'set-cookie': 'session=abc',
        'access-control-allow-origin': 'https://evil.example',
        'x-echo': `key ${API_KEY}`,
        link: '<https://api.example/next>; rel="next"',
      },
      body: JSON.stringify({ teapot: true }),
    });
    const res = await t.api('/proxy/brew', { headers: { 'connection-id': 'key-1', 'provider-config-key': 'up-key' } });
    expect(res.status).toBe(418);
    expect(await res.json()).toEqual({ teapot: true });
    expect(res.headers.get('x-rate-limit-remaining')).toBe('41');
    expect(res.headers.get('link')).toBe('<https://api.example/next>; rel="next"');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('x-echo')).toBeNull();
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('retries', () => {
  test('Retries: n retries 503s after their Retry-After, then answers the success', async () => {
    const at: number[] = [];
    up.answer = (_req, i): UpstreamAnswer => {
      at.push(performance.now());
      return i < 2 ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' } : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    };
    const res = await nango.get({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/flaky', retries: 3 });
    expect(res.data).toEqual({ ok: true });
    expect(up.requests).toHaveLength(3);
    // Retry-After is a lower bound on each pause.
    expect(at[1] - at[0]).toBeGreaterThanOrEqual(950);
    expect(at[2] - at[1]).toBeGreaterThanOrEqual(950);
    const events = await proxyEvents(rows.key);
    expect(events.at(-1)!.detail).toMatchObject({ path: '/flaky', status: 200, retries: 2 });
  });

  test('no Retries header: one attempt; Retry-On adds statuses; a POST is retried only with an Idempotency-Key', async () => {
    up.answer = () => ({ status: 409, body: 'conflict' });
    await expect(nango.get({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/c' })).rejects.toMatchObject({ response: { status: 409 } });
    expect(up.requests).toHaveLength(1);
    up.reset();
    up.answer = (_req, i) => (i === 0 ? { status: 409, body: 'conflict' } : { status: 200, body: 'ok' });
    await nango.get({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/c', retries: 1, retryOn: [409] });
    expect(up.requests).toHaveLength(2);

    up.reset();
    up.answer = () => ({ status: 500, body: 'down' });
    await expect(nango.post({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/pay', data: { a: 1 }, retries: 2 })).rejects.toMatchObject({ response: { status: 500 } });
    expect(up.requests).toHaveLength(1);
    up.reset();
    up.answer = (_req, i) => (i === 0 ? { status: 500, headers: { 'retry-after': '0' }, body: 'down' } : { status: 201, body: 'made' });
    const res = await nango.post({ providerConfigKey: 'up-key', connectionId: 'key-1', endpoint: '/pay', data: { a: 1 }, retries: 2, headers: { 'Idempotency-Key': 'k-1' } });
    expect(res.status).toBe(201);
    expect(up.requests.map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1']);
  });
});

describe('refusals in Nango\'s envelope, without calling the upstream', () => {
  const call = (headers: Record<string, string>, path = '/proxy/x', init: RequestInit = {}) => t.api(path, { ...init, headers: { 'connection-id': 'key-1', 'provider-config-key': 'up-key', ...headers } });

  test.each([
    ['unknown integration', { 'provider-config-key': 'nope' }, 404, 'unknown_provider_config'],
    ['unknown connection', { 'connection-id': 'nope' }, 400, 'server_error'],
    ['no Connection-Id', { 'connection-id': '' }, 400, 'invalid_headers'],
    ['Retries not a number', { retries: 'many' }, 400, 'invalid_headers'],
    ['Retries too many', { retries: '11' }, 400, 'invalid_headers'],
    ['Retry-On not statuses', { 'retry-on': '429,abc' }, 400, 'invalid_headers'],
    ['an override to another host', { 'base-url-override': 'https://attacker.example' }, 400, 'base_url_override_not_allowed'],
    ['an override that is no URL', { 'base-url-override': 'not a url' }, 400, 'base_url_override_not_allowed'],
    ['an override with credentials', { 'base-url-override': `http://u:p@127.0.0.1:1` }, 400, 'base_url_override_not_allowed'],
  ])('%s → %s %s', async (_name, headers, status, code) => {
    const res = await readJson(await call(headers));
    expect(res).toMatchObject({ status, body: { error: { code } } });
    expect(up.requests).toHaveLength(0);
  });

  test('any value of the control headers: a 4xx or the call, never a 5xx (fast-check)', async () => {
    const value = fc.string({ unit: fc.constantFrom(...' !"#%&()*,-./0123456789:;=?@ABCxyz[]_{}~'.split('')), maxLength: 40 });
    const name = fc.constantFrom('retries', 'retry-on', 'decompress', 'base-url-override', 'connection-id', 'provider-config-key', 'follow-redirects', 'retry-non-idempotent', 'forward-headers-on-redirect');
    await fc.assert(
      fc.asyncProperty(fc.dictionary(name, value, { maxKeys: 3 }), async (headers) => {
        up.reset();
        const res = await call(headers);
        await res.arrayBuffer();
        return res.status < 500;
      }),
      { numRuns: 40 },
    );
  });

  test('a key without environment:proxy → 403', async () => {
    const created = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'no-proxy', scopes: ['environment:connections:read'] } }));
    expect(created.status).toBe(201);
    t.secrets.register(created.body.data.secret);
    const res = await readJson(await t.api('/proxy/x', { key: created.body.data.secret, headers: { 'connection-id': 'key-1', 'provider-config-key': 'up-key' } }));
    expect(res).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(up.requests).toHaveLength(0);
  });

  test('an override on the provider\'s own origin is allowed', async () => {
    const res = await call({ 'base-url-override': `${up.url}/other` }, '/proxy/x');
    expect(res.status).toBe(200);
    expect(up.requests[0].path).toBe('/other/x');
  });

  test('a body over 4 MiB → 413; an answer over 4 MiB → 502; neither passes', async () => {
    const big = await readJson(await call({ 'content-type': 'application/octet-stream' }, '/proxy/up', { method: 'POST', body: randomBytes(4 * 1024 * 1024 + 100_000) }));
    expect(big).toMatchObject({ status: 413, body: { error: { code: 'request_too_large' } } });
    expect(up.requests).toHaveLength(0);
    up.answer = () => ({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(4 * 1024 * 1024 + 1) });
    const res = await readJson(await call({}, '/proxy/down'));
    expect(res).toMatchObject({ status: 502, body: { error: { code: 'response_too_large' } } });
  });

  test('an unreachable upstream → 502 provider_unavailable, audited as a failure', async () => {
    const res = await readJson(await call({ 'base-url-override': `${up.url.replace(String(up.port), '1')}` }));
    // Port 1 on loopback is another origin: refused as an override before anything is sent.
    expect(res.status).toBe(400);
    await up.stop();
    try {
      const down = await readJson(await call({}));
      expect(down).toMatchObject({ status: 502, body: { error: { code: 'provider_unavailable' } } });
      expect((await proxyEvents(rows.key)).at(-1)).toMatchObject({ outcome: 'failure', detail: { status: null, host: `127.0.0.1:${up.port}` } });
    } finally {
      up = await restartUpstreamOn(up.port);
    }
  });
});

describe('audit', () => {
  test('one event per call, in GET /audit-events: method, host, path without the query, status, latency, retries; no secret', async () => {
    await nango.get({ providerConfigKey: 'up-query', connectionId: 'query-1', endpoint: '/audited/path', params: { email: 'someone@example.com' } });
    const res = await readJson(await t.api(`/audit-events?action=proxy.call&target_id=${rows.query}`));
    expect(res.status).toBe(200);
    const [event] = res.body.data;
    expect(event).toMatchObject({ action: 'proxy.call', outcome: 'success', target: { type: 'connection', id: rows.query }, actor: { type: 'secret_key' } });
    expect(event.detail).toMatchObject({ provider_config_key: 'up-query', connection_id: 'query-1', method: 'GET', host: `127.0.0.1:${up.port}`, path: '/audited/path', status: 200, retries: 0, refreshed: false });
    expect(typeof event.detail.latency_ms).toBe('number');
    expect(JSON.stringify(event)).not.toContain('someone@example.com');
    expect(JSON.stringify(event)).not.toContain(QUERY_KEY);
  });
});

/** The providers point at this port. */
const restartUpstreamOn = (port: number): Promise<Upstream> => startUpstream(port);
