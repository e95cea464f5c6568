import { Nango } from '@nangohq/node';
import { database } from '../../../lambdas/platform/config';
import { CALLBACK_PAGE_CSP } from '../../../lambdas/functions/connect/callback-page';
import { HttpBrowser } from '../../support/http-browser';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../support/oauth-server';
import { authorizeInBrowser, connectSession, connectUrl, oidcIntegration, outboxRows, tableCount } from './connect-fixtures';

/**
 * The OAuth2 authorization-code flow end to end: our connect function, a real authorization
 * server (oidc-provider, with its login and consent forms) and a browser played over HTTP.
 */

let t: TestStack;
let server: OAuthServer;
let nango: Nango;

beforeAll(async () => {
  t = await startTestStack();
  server = await startOAuthServer({ interactive: true, redirectUris: [`${t.baseUrl}/oauth/callback`] });
  t.secrets.register(server.clients.basic.client_secret, server.clients.post.client_secret);
  await oidcIntegration(t, 'oidc', server, server.clients.basic);
  // The token response's `scope` and the callback's `iss` (RFC 9207) are kept in connection_config.
  await oidcIntegration(t, 'oidc-post', server, server.clients.post, { token_response_metadata: ['scope'], redirect_uri_metadata: ['iss'] });
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

/** The connection the flow made, as the secret-key API returns it with credentials. */
async function connectionOf(pck: string, connectionId: string) {
  const { status, body } = await readJson(await t.api(`/connections/${connectionId}?provider_config_key=${pck}&refresh_token=true`));
  expect(status).toBe(200);
  t.secrets.register(body.credentials.access_token, body.credentials.refresh_token);
  return body;
}

test('authorize → sign in → consent → callback stores a connection whose token the node SDK returns', async () => {
  const token = await connectSession(t, { end_user: { id: 'user-1', email: 'one@example.com', tags: { plan: 'pro' } }, allowed_integrations: ['oidc'], tags: { team: 'red' } });
  const browser = new HttpBrowser();
  const page = await authorizeInBrowser(browser, connectUrl(t, 'oidc', token, '&ws_client_id=ws-1'));

  expect(page.url.startsWith(`${t.baseUrl}/oauth/callback?`)).toBe(true);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toBe(CALLBACK_PAGE_CSP);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.html).toContain('nango_oauth_callback_success');
  expect(page.html).toContain('"ok":true');
  // The state cookie is spent.
  expect([...browser.cookiesFor(page.url).keys()].filter((k) => k.startsWith('latchkey_oauth_'))).toEqual([]);

  const [row] = await database().query<{ connection_id: string; tags: Record<string, string>; end_user: string }>(
    `SELECT c.connection_id, c.tags, eu.end_user_id AS end_user FROM connections c JOIN end_users eu ON eu.id = c.end_user_id WHERE c.provider_config_key = 'oidc'`,
  );
  expect(row.connection_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(row.end_user).toBe('user-1');
  // The session's tags: the end user's, generated ones, and the explicit ones.
  const tags = { team: 'red', plan: 'pro', end_user_id: 'user-1', end_user_email: 'one@example.com' };
  expect(row.tags).toEqual(tags);

  const connection = await connectionOf('oidc', row.connection_id);
  expect(connection.credentials).toMatchObject({ type: 'OAUTH2', access_token: expect.any(String), expires_at: expect.any(String) });
  expect(await nango.getToken('oidc', row.connection_id)).toBe(connection.credentials.access_token);
  expect(await tableCount('oauth_sessions')).toBe(0);

  const events = (await outboxRows()).filter((e) => e.payload.connectionId === row.connection_id);
  expect(events).toHaveLength(1);
  expect(events[0].event_type).toBe('auth');
  expect(events[0].payload).toEqual({
    from: 'nango',
    type: 'auth',
    connectionId: row.connection_id,
    providerConfigKey: 'oidc',
    provider: 'oidc',
    authMode: 'OAUTH2',
    environment: 'dev',
    operation: 'creation',
    success: true,
    tags,
    endUser: { endUserId: 'user-1', endUserEmail: 'one@example.com', tags: { plan: 'pro' } },
  });
  const actions = await database().query<{ action: string; outcome: string }>(
    "SELECT action, outcome FROM audit_events WHERE action IN ('connect.oauth.authorize', 'connection.create') ORDER BY occurred_at",
  );
  expect(actions).toEqual([
    { action: 'connect.oauth.authorize', outcome: 'success' },
    { action: 'connection.create', outcome: 'success' },
  ]);
});

test('client_secret_post providers get the client in the body; the token response metadata lands in connection_config', async () => {
  const token = await connectSession(t);
  const page = await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc-post', token));
  expect(page.status).toBe(200);
  const [{ connection_id: id }] = await database().query<{ connection_id: string }>("SELECT connection_id FROM connections WHERE provider_config_key = 'oidc-post'");
  const connection = await connectionOf('oidc-post', id);
  expect(connection.credentials.raw).toMatchObject({ token_type: 'Bearer' });
  expect(connection.connection_config).toEqual({ scope: expect.stringContaining('openid'), iss: server.issuer });
});

test("the session's defaults win over the browser's query: scopes override, authorization params, user scope, connection config", async () => {
  const token = await connectSession(t, {
    end_user: { id: 'defaults' },
    integrations_config_defaults: {
      oidc: { user_scopes: 'chat:write', authorization_params: { prompt: 'consent' }, connection_config: { oauth_scopes_override: 'openid,write', region: 'eu' } },
    },
  });
  const res = await fetch(connectUrl(t, 'oidc', token, '&user_scope=admin&authorization_params[prompt]=none&authorization_params[login_hint]=x&authorization_params[scope]=admin'), { redirect: 'manual' });
  const url = new URL(res.headers.get('location')!);
  expect(url.searchParams.get('scope')).toBe('openid write');
  expect(url.searchParams.get('prompt')).toBe('consent');
  expect(url.searchParams.has('login_hint')).toBe(false);
  expect(url.searchParams.get('user_scope')).toBe('chat:write');
  const [session] = await database().query<{ request: Record<string, unknown> }>('SELECT request FROM oauth_sessions ORDER BY created_at DESC LIMIT 1');
  expect(session.request).toEqual({ providerConfigKey: 'oidc', connectionConfig: { region: 'eu' }, endUserKeys: [] });
  await database().execute('DELETE FROM oauth_sessions');
});

test("an end user's own OAuth client (credentials[oauth_client_*_override]) obtains the grant and is kept for refreshes", async () => {
  const token = await connectSession(t, { end_user: { id: 'own-client' } });
  const own = server.clients.post;
  const query = `&credentials[oauth_client_id_override]=${own.client_id}&credentials[oauth_client_secret_override]=${encodeURIComponent(own.client_secret)}`;
  const redirect = await fetch(connectUrl(t, 'oidc', token, query), { redirect: 'manual' });
  expect(new URL(redirect.headers.get('location')!).searchParams.get('client_id')).toBe(own.client_id);
  // The override secret sits in the session's envelope only.
  const [raw] = await database().query<{ text: string }>('SELECT row_to_json(o)::text AS text FROM oauth_sessions o');
  expect(raw.text).not.toContain(own.client_secret);
  await database().execute('DELETE FROM oauth_sessions');

  // oidc's integration authenticates with HTTP Basic; the overriding client is one too (same provider definition).
  const page = await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', token, query.replace(own.client_id, server.clients.basic.client_id).replace(encodeURIComponent(own.client_secret), encodeURIComponent(server.clients.basic.client_secret))));
  expect(page.status).toBe(200);
  const [{ connection_id: id }] = await database().query<{ connection_id: string }>(
    "SELECT c.connection_id FROM connections c JOIN end_users eu ON eu.id = c.end_user_id WHERE eu.end_user_id = 'own-client'",
  );
  const connection = await connectionOf('oidc', id);
  expect(connection.credentials.config_override).toEqual({ client_id: server.clients.basic.client_id, client_secret: server.clients.basic.client_secret });
});

test('a reconnect session overrides its connection in place (operation override) with a fresh token', async () => {
  const first = await connectSession(t, { end_user: { id: 'user-2' } });
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', first));
  const [{ connection_id: id }] = await database().query<{ connection_id: string }>(
    "SELECT c.connection_id FROM connections c JOIN end_users eu ON eu.id = c.end_user_id WHERE eu.end_user_id = 'user-2'",
  );
  const before = await connectionOf('oidc', id);

  const { status, body } = await readJson(await t.api('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: id, integration_id: 'oidc' } }));
  expect(status).toBe(201);
  t.secrets.register(body.data.token);
  const page = await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', body.data.token));
  expect(page.status).toBe(200);

  const after = await connectionOf('oidc', id);
  expect(after.credentials.access_token).not.toBe(before.credentials.access_token);
  expect(after.id).toBe(before.id);
  const [count] = await database().query<{ n: number }>("SELECT count(*)::int AS n FROM connections WHERE connection_id = :id AND deleted_at IS NULL", { id });
  expect(count.n).toBe(1);
  const override = (await outboxRows()).filter((e) => e.payload.connectionId === id).map((e) => e.payload.operation);
  expect(override).toEqual(['creation', 'override']);
});

test('round trips: authorize is 3 statements, the callback 2 (consume the state, write with audit and event); warm, no KMS call', async () => {
  // Warm the data keys, then measure a second flow.
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', await connectSession(t)));
  await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', await connectSession(t)));
  const lines = t.logLines().map((l) => JSON.parse(l)).filter((l) => l.message === 'request');
  const last = (route: string) => lines.filter((l) => l.http?.route === route).at(-1);
  expect(last('/oauth/connect/{providerConfigKey}')).toMatchObject({ dbStatements: 3, kmsCalls: 0, http: { status: 302 } });
  expect(last('/oauth/callback')).toMatchObject({ dbStatements: 2, kmsCalls: 0, http: { status: 200 } });
});
