import { database } from '../../support/handles';
import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../support/oauth-server';
import { connectSession, outboxRows, tableCount } from './connect-fixtures';

/**
 * The connect flows without a redirect (API key, basic auth, client credentials), as the frontend
 * SDK calls them: POST with the session token in the query, credentials in a JSON body.
 */

const GOOD_KEY = 'good-api-key-0123456789';
const GOOD_USER = { username: 'ada', password: 'lovelace-secret-pw' };

let t: TestStack;
let server: OAuthServer;
let nango: Nango;
/** The provider API the credentials are verified against. */
let api: http.Server;
let apiUrl: string;
const seen: Array<{ path: string; authorization?: string }> = [];
let apiDown = false;

beforeAll(async () => {
  t = await startTestStack();
  server = await startOAuthServer();
  t.secrets.register(GOOD_KEY, GOOD_USER.password, server.clients.post.client_secret);
  api = http.createServer((req, res) => {
    seen.push({ path: req.url!, authorization: req.headers.authorization });
    const basic = `Basic ${Buffer.from(`${GOOD_USER.username}:${GOOD_USER.password}`).toString('base64')}`;
    const ok = req.headers.authorization === `Bearer ${GOOD_KEY}` || req.headers.authorization === basic;
    res.statusCode = apiDown ? 503 : ok ? 200 : 401;
    res.end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  const proxy = { base_url: apiUrl, headers: { authorization: 'Bearer ${apiKey}' }, verification: { method: 'GET', endpoints: ['/me'] } };
  await provider('keyed', { auth_mode: 'API_KEY', proxy });
  await provider('keyed-unverified', { auth_mode: 'API_KEY', proxy: { base_url: apiUrl, headers: proxy.headers } });
  await provider('basic-auth', { auth_mode: 'BASIC', proxy: { base_url: apiUrl, verification: { method: 'GET', endpoints: ['/me'] } } });
  await provider('cc', { auth_mode: 'OAUTH2_CC', token_url: server.tokenUrl });
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => api?.close(resolve));
  await server?.stop();
  await t?.stop();
});

beforeEach(() => {
  seen.length = 0;
  apiDown = false;
});

async function provider(key: string, definition: Record<string, unknown>) {
  const put = await t.api(`/providers/${key}`, { method: 'PUT', json: { display_name: key, allow_private_network: true, ...definition } });
  if (put.status >= 300) throw new Error(`PUT provider ${key}: ${put.status} ${await put.text()}`);
  const integ = await t.api('/integrations', { method: 'POST', json: { provider: key, unique_key: key } });
  if (integ.status !== 200) throw new Error(`POST integration ${key}: ${integ.status} ${await integ.text()}`);
}

/** As the frontend SDK sends it (§3.4): no Authorization header, the token in the query. */
function submit(path: string, token: string, body: unknown, extra = '') {
  return fetch(`${t.baseUrl}${path}?connect_session_token=${token}${extra}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('API key', () => {
  test('a key the provider accepts is verified once, stored, reported, and readable through the node SDK', async () => {
    const token = await connectSession(t, { end_user: { id: 'key-user' } });
    const { status, body } = await readJson(await submit('/api-auth/api-key/keyed', token, { apiKey: GOOD_KEY }));
    expect(status).toBe(200);
    expect(body).toEqual({ connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/), providerConfigKey: 'keyed' });
    expect(seen).toEqual([{ path: '/me', authorization: `Bearer ${GOOD_KEY}` }]);
    const connection = await nango.getConnection('keyed', body.connectionId);
    expect(connection.credentials).toEqual({ type: 'API_KEY', apiKey: GOOD_KEY });
    const [event] = (await outboxRows()).filter((e) => e.payload.connectionId === body.connectionId);
    expect(event.payload).toMatchObject({ type: 'auth', authMode: 'API_KEY', operation: 'creation', success: true, endUser: { endUserId: 'key-user' } });
  });

  test('statements: authenticate, read the context, write with the audit row and auth event (3); no KMS call when warm', async () => {
    const token = await connectSession(t);
    await submit('/api-auth/api-key/keyed', token, { apiKey: GOOD_KEY });
    expect((await submit('/api-auth/api-key/keyed', token, { apiKey: GOOD_KEY })).status).toBe(200);
    // The request's own counters (the webhook delivery it triggers runs in another function).
    const line = t.logLines().map((l) => JSON.parse(l)).filter((l) => l.message === 'request' && l.http?.route === '/api-auth/api-key/{providerConfigKey}').at(-1);
    expect([line.dbStatements, line.kmsCalls]).toEqual([3, 0]);
  });

  test('a key the provider rejects: 400 connection_test_failed naming the status, a failed auth event, nothing stored', async () => {
    const token = await connectSession(t, { end_user: { id: 'typo-user' } });
    const before = await tableCount('connections');
    const wrongKey = 'wrong-api-key-9876543210';
    t.secrets.register(wrongKey);
    const { status, body } = await readJson(await submit('/api-auth/api-key/keyed', token, { apiKey: wrongKey }));
    expect(status).toBe(400);
    expect(body.error).toEqual({ code: 'connection_test_failed', message: 'The credentials could not be verified: the provider rejected them (HTTP 401).' });
    expect(await tableCount('connections')).toBe(before);
    const failure = (await outboxRows()).at(-1)!;
    expect(failure.payload).toMatchObject({ type: 'auth', success: false, operation: 'creation', authMode: 'API_KEY', error: { type: 'connection_test_failed' } });
    expect(failure.connection_id).toBeNull();
  });

  test('a provider that is down is not mistaken for a wrong key', async () => {
    apiDown = true;
    const { body } = await readJson(await submit('/api-auth/api-key/keyed', await connectSession(t), { apiKey: GOOD_KEY }));
    expect(body.error.message).toBe('The credentials could not be verified: the provider answered (HTTP 503).');
  });

  test('a provider without a verification endpoint takes the key on trust', async () => {
    const { status } = await readJson(await submit('/api-auth/api-key/keyed-unverified', await connectSession(t), { apiKey: 'anything-goes-here' }));
    expect(status).toBe(200);
    expect(seen).toEqual([]);
  });

  test('a reconnect session replaces the key of its connection', async () => {
    const { body: made } = await readJson(await submit('/api-auth/api-key/keyed', await connectSession(t), { apiKey: GOOD_KEY }));
    const { body } = await readJson(await t.api('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: made.connectionId, integration_id: 'keyed' } }));
    t.secrets.register(body.data.token);
    const again = await readJson(await submit('/api-auth/api-key/keyed', body.data.token, { apiKey: GOOD_KEY }));
    expect(again).toEqual({ status: 200, body: { connectionId: made.connectionId, providerConfigKey: 'keyed' } });
    const ops = (await outboxRows()).filter((e) => e.payload.connectionId === made.connectionId).map((e) => e.payload.operation);
    expect(ops).toEqual(['creation', 'override']);
  });
});

describe('basic auth', () => {
  test('good credentials are sent as HTTP Basic to the verification endpoint and stored', async () => {
    const { status, body } = await readJson(await submit('/api-auth/basic/basic-auth', await connectSession(t), GOOD_USER));
    expect(status).toBe(200);
    expect(seen[0].authorization).toMatch(/^Basic /);
    expect((await nango.getConnection('basic-auth', body.connectionId)).credentials).toEqual({ type: 'BASIC', ...GOOD_USER });
  });

  test('a wrong password is refused and stored nowhere', async () => {
    const before = await tableCount('connections');
    const wrong = { username: 'ada', password: 'not-the-password-123' };
    t.secrets.register(wrong.password);
    const { status, body } = await readJson(await submit('/api-auth/basic/basic-auth', await connectSession(t), wrong));
    expect([status, body.error.code]).toEqual([400, 'connection_test_failed']);
    expect(await tableCount('connections')).toBe(before);
  });
});

describe('client credentials', () => {
  test("the end user's client gets a token from the provider, stored as OAUTH2_CC", async () => {
    const { status, body } = await readJson(await submit('/oauth2/auth/cc', await connectSession(t), { client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret }));
    expect(status).toBe(200);
    const connection = await nango.getConnection('cc', body.connectionId);
    t.secrets.register((connection.credentials as { token: string }).token);
    expect(connection.credentials).toMatchObject({ type: 'OAUTH2_CC', token: expect.any(String), client_id: server.clients.post.client_id, expires_at: expect.any(String) });
  });

  test('the token is renewed with the same client when due (or forced), through the single-flight refresh', async () => {
    const { body } = await readJson(await submit('/oauth2/auth/cc', await connectSession(t), { client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret }));
    const read = async (query = '') => (await readJson(await t.api(`/connections/${body.connectionId}?provider_config_key=cc${query}`))).body.credentials;
    const first = await read();
    t.secrets.register(first.token);
    // 10 minutes of life, refreshed within half of it: not due yet.
    expect((await read()).token).toBe(first.token);
    const forced = await read('&force_refresh=true');
    t.secrets.register(forced.token);
    expect(forced).toMatchObject({ type: 'OAUTH2_CC', client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret });
    expect(forced.token).not.toBe(first.token);
    expect((await read()).token).toBe(forced.token);
    const [audit] = await database().query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE action = 'connection.refresh.success' AND detail->>'connection_id' = :id",
      { id: body.connectionId },
    );
    expect(audit.detail).toMatchObject({ credentials_type: 'OAUTH2_CC', forced: true });
  });

  test('a wrong client secret: 400 connection_test_failed, nothing stored', async () => {
    const before = await tableCount('connections');
    const { status, body } = await readJson(await submit('/oauth2/auth/cc', await connectSession(t), { client_id: server.clients.post.client_id, client_secret: 'not-the-client-secret' }));
    expect([status, body.error.code]).toEqual([400, 'connection_test_failed']);
    expect(body.error.message).toContain('invalid_client');
    expect(await tableCount('connections')).toBe(before);
  });
});

describe('refusals', () => {
  test('the wrong flow for the provider is invalid_auth_mode; an unknown integration unknown_provider_config', async () => {
    const token = await connectSession(t);
    expect((await readJson(await submit('/api-auth/basic/keyed', token, GOOD_USER))).body.error.code).toBe('invalid_auth_mode');
    expect((await readJson(await submit('/api-auth/api-key/nope', token, { apiKey: GOOD_KEY }))).status).toBe(404);
  });

  test("another environment's session does not see this environment's integrations", async () => {
    const prodToken = await connectSession(t, { end_user: { id: 'p' } }, t.prodKey);
    const { status, body } = await readJson(await submit('/api-auth/api-key/keyed', prodToken, { apiKey: GOOD_KEY }));
    expect([status, body.error.code]).toEqual([404, 'unknown_provider_config']);
  });

  test('without a session token: 401; a secret key is no substitute', async () => {
    const none = await fetch(`${t.baseUrl}/api-auth/api-key/keyed`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: GOOD_KEY }) });
    expect((await readJson(none)).body.error.code).toBe('missing_connect_session_token');
    const withKey = await fetch(`${t.baseUrl}/api-auth/api-key/keyed?connect_session_token=${t.devKey}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: GOOD_KEY }) });
    expect((await readJson(withKey)).body.error.code).toBe('invalid_connect_session_token_format');
  });

  test('the browser preflight of the JSON POST is answered with CORS headers', async () => {
    const res = await fetch(`${t.baseUrl}/api-auth/api-key/keyed?connect_session_token=x`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  test('property: malformed bodies get 400 invalid_body and change nothing', async () => {
    const token = await connectSession(t);
    const body = fc.oneof(
      fc.record({ apiKey: fc.oneof(fc.constant(''), fc.integer(), fc.string({ minLength: 1025, maxLength: 1100 })) }),
      fc.record({ apiKey: fc.constant(GOOD_KEY), extra: fc.string() }),
      fc.constant({}),
      fc.array(fc.string()),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const before = [await tableCount('connections'), await tableCount('outbox')];
        const { status, body: out } = await readJson(await submit('/api-auth/api-key/keyed', token, b));
        expect([status, out.error.code]).toEqual([400, 'invalid_body']);
        expect([await tableCount('connections'), await tableCount('outbox')]).toEqual(before);
      }),
      { numRuns: 30 },
    );
    expect(seen).toEqual([]);
  });
});
