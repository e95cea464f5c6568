import { database } from '../../support/handles';
import { HttpBrowser } from '../../support/http-browser';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { OAUTH_TEST_PASSWORD, startOAuthServer, type OAuthServer } from '../../support/oauth-server';
import { RelayClient } from '../../support/relay-client';
import { acknowledgeRelayClient } from '../../../lambdas/connect/browser-relay';
import { managementApi } from '../../../lambdas/platform/websocket/connections-api';
import { authorizeInBrowser, connectSession, connectUrl, oidcIntegration } from './connect-fixtures';

/**
 * The browser relay under the local stack: the frontend SDK's socket (played by a `ws` client)
 * gets its ack, then the outcome of the OAuth flow its popup (played over HTTP) runs.
 */

let t: TestStack;
let server: OAuthServer;
const open: RelayClient[] = [];

beforeAll(async () => {
  t = await startTestStack({ databaseRole: 'connect' });
  server = await startOAuthServer({ interactive: true, redirectUris: [`${t.baseUrl}/oauth/callback`] });
  t.secrets.register(server.clients.basic.client_secret);
  await oidcIntegration(t, 'oidc', server, server.clients.basic);
  await oidcIntegration(t, 'other', server, server.clients.basic);
}, 60_000);

afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

async function socket(): Promise<RelayClient> {
  const client = await RelayClient.open(t.baseUrl);
  open.push(client);
  return client;
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('the socket at the API host gets a connection_ack with a fresh uuid v4, and nothing else', async () => {
  const [a, b] = [await socket(), await socket()];
  const [idA, idB] = [await a.ack(), await b.ack()];
  expect(idA).toMatch(UUID_V4);
  expect(idB).toMatch(UUID_V4);
  expect(idA).not.toBe(idB);
  expect(a.messages).toEqual([{ message_type: 'connection_ack', ws_client_id: idA }]);
});

test('success reaches the socket the popup named, with the new connection id', async () => {
  const client = await socket();
  const wsClientId = await client.ack();
  const token = await connectSession(t);
  const page = await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', token, `&ws_client_id=${wsClientId}`));
  expect(page.status).toBe(200);
  const success = await client.next('success');
  const [row] = await database().query<{ connection_id: string }>("SELECT connection_id FROM connections WHERE provider_config_key = 'oidc' ORDER BY created_at DESC LIMIT 1");
  expect(success).toEqual({ message_type: 'success', provider_config_key: 'oidc', connection_id: row.connection_id, is_pending: false });
  // One final message: the socket's row is spent.
  const [left] = await database().query<{ n: number }>('SELECT count(*)::int AS n FROM websocket_clients WHERE id = :id::uuid', { id: wsClientId });
  expect(left.n).toBe(0);
});

test.each([
  ['integration not allowed', 'integration_not_allowed', async () => connectUrl(t, 'other', await connectSession(t, { end_user: { id: 'u' }, allowed_integrations: ['oidc'] }))],
  ['unknown integration', 'unknown_provider_config', async () => connectUrl(t, 'nope', await connectSession(t))],
  ['bad session token', 'unknown_connect_session_token', async () => connectUrl(t, 'oidc', 'nango_connect_session_' + 'a'.repeat(64))],
  ['connection_id with a token', 'invalid_query_params', async () => `${connectUrl(t, 'oidc', await connectSession(t))}&connection_id=abc`],
])('%s: the popup shows the error page and the socket gets the same error', async (_name, errorType, url) => {
  const client = await socket();
  const wsClientId = await client.ack();
  const page = await new HttpBrowser().open(`${await url()}&ws_client_id=${wsClientId}`);
  expect(page.status).toBeGreaterThanOrEqual(400);
  const error = await client.next('error');
  expect(error).toMatchObject({ message_type: 'error', error_type: errorType, error_desc: expect.any(String) });
  expect(page.html).toContain(errorType);
});

test('the end user denies at the provider: the callback page and the socket both report callback_err', async () => {
  const client = await socket();
  const wsClientId = await client.ack();
  const browser = new HttpBrowser();
  const signIn = await browser.open(connectUrl(t, 'oidc', await connectSession(t), `&ws_client_id=${wsClientId}`));
  const consent = await browser.submit(signIn, '/login', { login: 'alice', password: OAUTH_TEST_PASSWORD });
  const page = await browser.submit(consent, '/abort');
  expect(page.url.startsWith(`${t.baseUrl}/oauth/callback?`)).toBe(true);
  expect(await client.next('error')).toEqual({
    message_type: 'error',
    provider_config_key: 'oidc',
    connection_id: '',
    error_type: 'callback_err',
    error_desc: expect.stringContaining('access_denied'),
  });
});

test('a reconnect session whose connection is gone: the socket gets invalid_connection', async () => {
  const token = await connectSession(t, { end_user: { id: 'reconnecting' } });
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', token));
  const [{ connection_id: id }] = await database().query<{ connection_id: string }>(
    "SELECT c.connection_id FROM connections c JOIN end_users e ON e.id = c.end_user_id WHERE e.end_user_id = 'reconnecting'",
  );
  const { status, body } = await readJson(await t.api('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: id, integration_id: 'oidc' } }));
  expect(status).toBe(201);
  t.secrets.register(body.data.token);
  expect((await t.api(`/connection/${id}?provider_config_key=oidc`, { method: 'DELETE' })).status).toBe(200);
  const client = await socket();
  const wsClientId = await client.ack();
  await new HttpBrowser().open(connectUrl(t, 'oidc', body.data.token, `&ws_client_id=${wsClientId}`));
  expect(await client.next('error')).toMatchObject({ error_type: 'invalid_connection', provider_config_key: 'oidc' });
});

test("a ws_client_id bound to one session's flow is refused to another session: no message reaches its socket", async () => {
  const client = await socket();
  const wsClientId = await client.ack();
  // The victim's popup binds the socket to its session.
  const victim = await new HttpBrowser().open(connectUrl(t, 'oidc', await connectSession(t), `&ws_client_id=${wsClientId}`));
  expect(victim.html).toContain('Sign in');
  // Another session names the same id: its failure is not posted to the victim's socket…
  const attacker = await connectSession(t, { end_user: { id: 'mallory' }, allowed_integrations: ['oidc'] });
  await new HttpBrowser().open(connectUrl(t, 'other', attacker, `&ws_client_id=${wsClientId}`));
  // …nor its success.
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', attacker, `&ws_client_id=${wsClientId}`));
  expect(await client.quietFor(500)).toBe(true);
  expect(client.messages.map((m) => m.message_type)).toEqual(['connection_ack']);
});

test('a closed socket leaves no row ($disconnect)', async () => {
  const client = await socket();
  const wsClientId = await client.ack();
  const rows = async () => (await database().query<{ n: number }>('SELECT count(*)::int AS n FROM websocket_clients WHERE id = :id::uuid', { id: wsClientId }))[0].n;
  expect(await rows()).toBe(1);
  client.close();
  await client.closed;
  await waitFor(async () => (await rows()) === 0);
});

test('an expired socket is neither bound nor told anything, and the expired-sessions sweep removes it', async () => {
  const client = await socket();
  const wsClientId = await client.ack();
  await database().query("UPDATE websocket_clients SET expires_at = now() - interval '1 second' WHERE id = :id::uuid", { id: wsClientId });
  const token = await connectSession(t, { end_user: { id: 'u' }, allowed_integrations: ['oidc'] });
  await new HttpBrowser().open(connectUrl(t, 'other', token, `&ws_client_id=${wsClientId}`));
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', token, `&ws_client_id=${wsClientId}`));
  expect(await client.quietFor(300)).toBe(true);
  expect(client.messages.map((m) => m.message_type)).toEqual(['connection_ack']);
  const [row] = await database().query<{ connect_session_id: string | null }>('SELECT connect_session_id FROM websocket_clients WHERE id = :id::uuid', { id: wsClientId });
  expect(row.connect_session_id).toBeNull();
  const swept = (await t.stack.scheduler.fire('expired-sessions', new Date())) as { websocketClientsDeleted: number };
  expect(swept.websocketClientsDeleted).toBeGreaterThanOrEqual(1);
  expect(await rowsOf(wsClientId)).toBe(0);
});

test('an ack whose socket never opens is retried, then its row is dropped (410 Gone from the management API)', async () => {
  const [row] = await database().query<{ id: string }>(
    "INSERT INTO websocket_clients (id, connection_id, expires_at) VALUES (gen_random_uuid(), 'never-opened=', now() + interval '1 hour') RETURNING id",
  );
  const poster = managementApi(t.stack.env.LATCHKEY_WEBSOCKET_CALLBACK_URL)!;
  const pauses: number[] = [];
  const outcome = await acknowledgeRelayClient(database(), poster, { connectionId: 'never-opened=', wsClientId: row.id }, async (ms) => void pauses.push(ms));
  expect(outcome).toBe('gone');
  expect(pauses.length).toBeGreaterThan(3);
  expect(pauses.reduce((a, b) => a + b, 0)).toBeLessThan(5_000);
  expect(await rowsOf(row.id)).toBe(0);
});

test("GET /connect/session's websocketsPath is '/' locally, and the configured WebSocket URL when deployed", async () => {
  const token = await connectSession(t);
  const read = async () => ((await (await fetch(`${t.baseUrl}/connect/session`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { websocketsPath: string } }).data.websocketsPath;
  expect(await read()).toBe('/');
  process.env.LATCHKEY_WEBSOCKET_URL = 'wss://abc123.execute-api.us-east-1.amazonaws.com/prod';
  try {
    expect(await read()).toBe('wss://abc123.execute-api.us-east-1.amazonaws.com/prod');
  } finally {
    delete process.env.LATCHKEY_WEBSOCKET_URL;
  }
});

async function rowsOf(wsClientId: string): Promise<number> {
  return (await database().query<{ n: number }>('SELECT count(*)::int AS n FROM websocket_clients WHERE id = :id::uuid', { id: wsClientId }))[0].n;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
