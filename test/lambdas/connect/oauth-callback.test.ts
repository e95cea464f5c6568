import net, { type AddressInfo } from 'node:net';
import { database, envelopeCipher } from '../../support/handles';
import { finishOAuth } from '../../../lambdas/connect/oauth-callback';
import { ConnectError } from '../../../lambdas/connect/errors';
import { consumeOAuthSession, deleteExpiredOAuthSessions, insertOAuthSession, type OAuthSessionRequest } from '../../../lambdas/connect/oauth-session-store';
import { managementApi, type SocketPoster } from '../../../lambdas/platform/websocket/connections-api';
import { HttpBrowser } from '../../support/http-browser';
import { RelayClient } from '../../support/relay-client';
import type { TestStack } from '../../support/local-stack';
import type { OAuthServer } from '../../support/oauth-server';
import { startRawTokenServer, type RawTokenServer } from '../connections/refresh/refresh-fixtures';
import { authorizeUntilCallback, connectSession, connectUrl, outboxRows, startOAuthWorld, tableCount, type OAuthWorld } from './connect-fixtures';

/**
 * finishOAuth in the test's own process: the authorize step and the provider's sign-in run as in
 * oauth-flow.test.ts, then the callback's query and the browser's binding cookie go straight to
 * the domain function, so each check and each message of the callback is seen directly.
 */

let t: TestStack;
let server: OAuthServer;

let world: OAuthWorld;

beforeAll(async () => {
  world = await startOAuthWorld({ oidc: { redirect_uri_metadata: ['realmId'] }, 'no-secret': {} });
  ({ t, server } = world);
}, 60_000);
beforeEach(() => database().execute('DELETE FROM oauth_sessions'));
afterAll(() => world?.stop());

const audit = { environmentId: null, actor: { type: 'system' as const, id: null }, request: { requestId: null, sourceIp: null, userAgent: null }, outcome: 'success' as const };

/** A flow up to the provider's redirect back: the callback's query and the browser's binding for its state. */
async function startedFlow(pck = 'oidc', extraQuery = '') {
  const browser = new HttpBrowser();
  const callback = await authorizeUntilCallback(browser, t, connectUrl(t, pck, await connectSession(t), extraQuery));
  const query = Object.fromEntries(callback.searchParams);
  const bindings = [...browser.cookiesFor(callback.href)].filter(([name]) => name.startsWith('latchkey_oauth_'));
  expect(bindings).toHaveLength(1);
  return { query, binding: bindings[0][1] };
}

const finish = (query: Record<string, string>, browserBinding: string | undefined, now = new Date(), sockets?: SocketPoster) =>
  finishOAuth({ db: database(), cipher: envelopeCipher(), sockets, query, browserBinding, now, audit });

/** The ConnectError a call fails with (anything else fails the test). */
async function refusal(call: Promise<unknown>): Promise<{ reason: string; message: string; providerUnavailable: boolean }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const { reason, message, providerUnavailable } = err as ConnectError;
  return { reason, message, providerUnavailable };
}

/** The failed `auth` event and the audit row of the last failure. */
async function lastFailure() {
  const event = (await outboxRows()).filter((e) => e.payload.success === false).at(-1)!;
  const [row] = await database().query<{ target_id: string | null; detail: Record<string, unknown> }>(
    "SELECT target_id, detail FROM audit_events WHERE action = 'connect.failure' ORDER BY occurred_at DESC, id LIMIT 1",
  );
  return { error: (event.payload.error as { type: string }).type, provider: event.payload.provider, audit: row };
}

test('a good callback stores the connection and answers with its state and redirect URI; the state is then spent', async () => {
  const { query, binding } = await startedFlow();
  const before = await tableCount('connections');
  const done = await finish({ ...query, realmId: 'r'.repeat(1024) }, binding);
  expect(done).toMatchObject({ state: query.state, redirectUri: `${t.baseUrl}/oauth/callback`, providerConfigKey: 'oidc', operation: 'creation' });
  expect(await tableCount('connections')).toBe(before + 1);
  const [created] = await database().query<{ detail: Record<string, unknown> }>("SELECT detail FROM audit_events WHERE action = 'connection.create' AND detail->>'connection_id' = :id", { id: done.connectionId });
  expect(created.detail).toMatchObject({ flow: 'oauth2', operation: 'creation', auth_mode: 'OAUTH2' });
  const [row] = await database().query<{ connection_config: Record<string, unknown>; credentials_expires_at: Date | null }>(
    'SELECT connection_config, credentials_expires_at FROM connections WHERE connection_id = :id',
    { id: done.connectionId },
  );
  expect(row.connection_config).toEqual({ realmId: 'r'.repeat(1024) });
  // The token's expiry is kept for refreshes.
  expect(row.credentials_expires_at!.getTime()).toBeGreaterThan(Date.now());
  expect(await refusal(finish(query, binding))).toMatchObject({ reason: 'invalid_state', message: expect.stringContaining('unknown, expired or already used') });
});

test('redirect metadata longer than 1024 characters is not kept', async () => {
  const { query, binding } = await startedFlow();
  const done = await finish({ ...query, realmId: 'r'.repeat(1025) }, binding);
  const [row] = await database().query<{ connection_config: Record<string, unknown> }>('SELECT connection_config FROM connections WHERE connection_id = :id', { id: done.connectionId });
  expect(row.connection_config).toEqual({});
});

test('a callback without a state, or with one never issued, is refused without touching the pending session', async () => {
  const { query, binding } = await startedFlow();
  expect(await refusal(finish({ code: query.code }, binding))).toEqual({ reason: 'invalid_state', message: 'The callback has no state: start the connection again.', providerUnavailable: false });
  expect(await refusal(finish({ ...query, state: `${query.state}x` }, binding))).toMatchObject({ reason: 'invalid_state', message: expect.stringContaining('unknown') });
  expect(await tableCount('oauth_sessions')).toBe(1);
});

test('an OAuth session that has just reached its expiry is refused (and the failure recorded)', async () => {
  const { query, binding } = await startedFlow();
  const [{ expires_at: expiresAt }] = await database().query<{ expires_at: Date }>('SELECT expires_at FROM oauth_sessions');
  expect(await refusal(finish(query, binding, expiresAt))).toMatchObject({ reason: 'invalid_state', message: expect.stringContaining('10 minutes') });
  expect(await lastFailure()).toMatchObject({ error: 'invalid_state', provider: 'oidc', audit: { target_id: expect.any(String), detail: { flow: 'oauth2', provider_config_key: 'oidc', error_type: 'invalid_state' } } });
});

test('a connect session that expired during the authorization ends the flow', async () => {
  const { query, binding } = await startedFlow();
  await database().execute("UPDATE connect_sessions SET expires_at = now() - interval '1 second'");
  expect(await refusal(finish(query, binding))).toEqual({
    reason: 'connect_session_expired',
    message: 'The connect session expired before the authorization finished: start the connection again.',
    providerUnavailable: false,
  });
});

test('without the binding cookie, or with another one, the callback is refused as another browser', async () => {
  for (const binding of [undefined, '', 'not-the-binding']) {
    const { query } = await startedFlow();
    expect(await refusal(finish(query, binding))).toMatchObject({ reason: 'state_cookie_err', message: expect.stringContaining('another browser') });
  }
});

test("the provider's refusal is shown with its code and a printable, bounded description", async () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ error: 'access_denied', error_description: `no\nway\x7f${'d'.repeat(400)}` }, `The provider refused the authorization: access_denied (no way ${'d'.repeat(293)})`],
    [{ error: 'access_denied', error_description: '', error_reason: 'user_denied' }, 'The provider refused the authorization: access_denied (user_denied)'],
    [{ error: 'not a code <b>' }, 'The provider refused the authorization: error'],
    [{ error_message: 'Denied by the admin' }, 'The provider refused the authorization: error (Denied by the admin)'],
  ];
  for (const [extra, message] of cases) {
    const { query, binding } = await startedFlow();
    expect(await refusal(finish({ state: query.state, ...extra }, binding))).toEqual({ reason: 'callback_err', message, providerUnavailable: false });
    expect((await lastFailure()).error).toBe('callback_err');
  }
});

test('a callback without a code is refused', async () => {
  const { query, binding } = await startedFlow();
  expect(await refusal(finish({ state: query.state }, binding))).toEqual({ reason: 'callback_err', message: 'The provider did not return an authorization code.', providerUnavailable: false });
});

test('a code the provider will not exchange is token_exchange_failed with its error; the end user is not to blame', async () => {
  const { query, binding } = await startedFlow();
  expect(await refusal(finish({ ...query, code: 'forged' }, binding))).toEqual({
    reason: 'token_exchange_failed',
    message: 'The provider did not exchange the authorization code: invalid_grant (invalid_grant)',
    providerUnavailable: false,
  });
});

/** Runs `fn` with fields of the oidc provider's definition replaced, then puts the definition back. */
async function withProvider<T>(patch: Record<string, unknown>, fn: () => Promise<T>): Promise<T> {
  const [{ definition }] = await database().query<{ definition: Record<string, unknown> }>("SELECT definition FROM providers WHERE name = 'oidc'");
  await database().execute("UPDATE providers SET definition = CAST(:definition AS jsonb) WHERE name = 'oidc'", { definition: JSON.stringify({ ...definition, ...patch }) });
  try {
    return await fn();
  } finally {
    await database().execute("UPDATE providers SET definition = CAST(:definition AS jsonb) WHERE name = 'oidc'", { definition: JSON.stringify(definition) });
  }
}

test('a provider that cannot be reached for the exchange is reported as unavailable', async () => {
  const { query, binding } = await startedFlow();
  await withProvider({ token_url: 'http://127.0.0.1:9/token' }, async () => {
    expect(await refusal(finish(query, binding))).toEqual({ reason: 'token_exchange_failed', message: 'The provider did not exchange the authorization code: network', providerUnavailable: true });
  });
});

describe('the host the code exchange sends the client secret to, checked again at the callback', () => {
  // A public token URL whose host comes from connection config; the integration allows no end-user host.
  const hostFrom = (key: string) =>
    withProvider.bind(null, {
      allow_private_network: false,
      authorization_url: 'https://auth.example/authorize',
      token_url: `https://\${connectionConfig.${key}}/token`,
      connection_config: { host: { title: 'Host', optional: true } },
    });
  // A loopback address: the outbound policy refuses it before any request.
  const host = '127.0.0.1';
  const storeRequest = (request: Record<string, unknown>) => database().execute('UPDATE oauth_sessions SET request = CAST(:request AS jsonb)', { request: JSON.stringify(request) });

  test("a host the end user chose is refused; the backend's goes on to the exchange", async () => {
    const chosen = await startedFlow();
    await storeRequest({ providerConfigKey: 'oidc', connectionConfig: { host }, endUserKeys: ['host'] });
    await hostFrom('host')(async () => expect(await refusal(finish(chosen.query, chosen.binding))).toMatchObject({ reason: 'host_not_allowed' }));

    const trusted = await startedFlow();
    await storeRequest({ providerConfigKey: 'oidc', connectionConfig: { host }, endUserKeys: [] });
    await hostFrom('host')(async () =>
      expect(await refusal(finish(trusted.query, trusted.binding))).toMatchObject({ reason: 'token_exchange_failed', message: expect.stringContaining(': blocked') }),
    );
  });

  test("a session stored before provenance was recorded counts every value as the end user's", async () => {
    const { query, binding } = await startedFlow();
    await storeRequest({ providerConfigKey: 'oidc', connectionConfig: { host } });
    await hostFrom('host')(async () => expect(await refusal(finish(query, binding))).toMatchObject({ reason: 'host_not_allowed' }));
  });

  test("redirect metadata came through the browser: it is the end user's", async () => {
    const { query, binding } = await startedFlow();
    await hostFrom('realmId')(async () => expect(await refusal(finish({ ...query, realmId: host }, binding))).toMatchObject({ reason: 'host_not_allowed' }));
  });
});

describe('a token endpoint of our own making', () => {
  let raw: RawTokenServer;
  beforeAll(async () => {
    raw = await startRawTokenServer();
  });
  afterAll(() => raw?.stop());

  test('a server error is reported as the provider being unavailable', async () => {
    const { query, binding } = await startedFlow();
    raw.answer = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    await withProvider({ token_url: raw.url }, async () => {
      expect(await refusal(finish(query, binding))).toMatchObject({ reason: 'token_exchange_failed', message: expect.stringContaining(': server'), providerUnavailable: true });
    });
  });

  test("the provider's refresh token is kept when the end user gave none", async () => {
    const { query, binding } = await startedFlow();
    t.secrets.register('at-from-raw-8e2b');
    t.secrets.register('rt-from-raw-8e2b');
    raw.answer = () => ({ status: 200, body: { access_token: 'at-from-raw-8e2b', refresh_token: 'rt-from-raw-8e2b', token_type: 'Bearer', expires_in: 3600 } });
    const done = await withProvider({ token_url: raw.url }, () => finish(query, binding));
    expect(await storedCredentials(done.connectionId)).toMatchObject({ access_token: 'at-from-raw-8e2b', refresh_token: 'rt-from-raw-8e2b' });
  });

  test('a token without an expiry is stored without one', async () => {
    const { query, binding } = await startedFlow();
    t.secrets.register('at-without-expiry-5d1c');
    raw.answer = () => ({ status: 200, body: { access_token: 'at-without-expiry-5d1c', token_type: 'Bearer' } });
    const done = await withProvider({ token_url: raw.url }, () => finish(query, binding));
    const [row] = await database().query<{ credentials_expires_at: Date | null }>('SELECT credentials_expires_at FROM connections WHERE connection_id = :id', { id: done.connectionId });
    expect(row).toEqual({ credentials_expires_at: null });
  });
});

test('a provider whose token request our client cannot make is a configuration error', async () => {
  const { query, binding } = await startedFlow();
  await withProvider({ token_request_auth_method: 'private_key_jwt' }, async () => {
    expect(await refusal(finish(query, binding))).toEqual({
      reason: 'provider_config_err',
      message: 'token_request_auth_method private_key_jwt is not supported by the generic token client',
      providerUnavailable: false,
    });
  });
});

test('an integration left without its client secret cannot finish the exchange', async () => {
  const { query, binding } = await startedFlow('no-secret');
  await database().execute("UPDATE integrations SET client_secret = NULL WHERE unique_key = 'no-secret'");
  expect(await refusal(finish(query, binding))).toEqual({ reason: 'provider_config_err', message: 'The integration has no OAuth client id and secret.', providerUnavailable: false });
});

test('an integration deleted during the authorization fails the flow with the session facts recorded', async () => {
  const { query, binding } = await startedFlow();
  await database().execute("UPDATE integrations SET deleted_at = now() WHERE unique_key = 'oidc'");
  try {
    const { reason } = await refusal(finish(query, binding));
    expect(await lastFailure()).toMatchObject({ error: reason, provider: 'unknown', audit: { target_id: null, detail: { provider_config_key: 'oidc', error_type: reason } } });
  } finally {
    await database().execute("UPDATE integrations SET deleted_at = NULL WHERE unique_key = 'oidc'");
  }
});

test("an end user's own client exchanges the code and stays with the credentials for refreshes, with the refresh token they gave", async () => {
  const own = server.clients.basic;
  const extra = `&credentials[oauth_client_id_override]=${own.client_id}&credentials[oauth_client_secret_override]=${encodeURIComponent(own.client_secret)}&credentials[oauth_refresh_token_override]=rt-given-7f3a9c2e`;
  t.secrets.register('rt-given-7f3a9c2e');
  const { query, binding } = await startedFlow('no-secret', extra);
  // The integration's own secret is gone: only the end user's client can do the exchange.
  await database().execute("UPDATE integrations SET client_secret = NULL WHERE unique_key = 'no-secret'");
  const done = await finish(query, binding);
  const res = await t.api(`/connections/${done.connectionId}?provider_config_key=no-secret&refresh_token=true`);
  expect(res.status).toBe(200);
  const { credentials } = (await res.json()) as { credentials: Record<string, unknown> };
  expect(credentials).toMatchObject({ refresh_token: 'rt-given-7f3a9c2e', config_override: { client_id: own.client_id, client_secret: own.client_secret } });
});

describe("the outcome on the frontend SDK's socket", () => {
  const open: RelayClient[] = [];
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });

  /** A socket that got its ack, and a flow started naming it. */
  async function relayedFlow() {
    const client = await RelayClient.open(t.baseUrl);
    open.push(client);
    const wsClientId = await client.ack();
    return { client, ...(await startedFlow('oidc', `&ws_client_id=${wsClientId}`)) };
  }
  const sockets = () => managementApi(t.stack.env.LATCHKEY_WEBSOCKET_CALLBACK_URL);

  test('success: the new connection', async () => {
    const { client, query, binding } = await relayedFlow();
    const done = await finish(query, binding, new Date(), sockets());
    expect(await client.next('success')).toEqual({ message_type: 'success', provider_config_key: 'oidc', connection_id: done.connectionId, is_pending: false });
  });

  test('a refused callback: its reason and the message the page shows', async () => {
    const { client, query, binding } = await relayedFlow();
    await refusal(finish({ state: query.state }, binding, new Date(), sockets()));
    expect(await client.next('error')).toEqual({
      message_type: 'error',
      provider_config_key: 'oidc',
      connection_id: '',
      error_type: 'callback_err',
      error_desc: 'The provider did not return an authorization code.',
    });
  });

  test('an unexpected error: thrown as it is, not recorded as a flow failure, and told without details', async () => {
    const { client, query, binding } = await relayedFlow();
    // The session's sealed secrets no longer open: not a failure of the flow, a fault of ours.
    await database().execute("UPDATE oauth_sessions SET secrets = decode('00', 'hex')");
    const failuresBefore = (await outboxRows()).filter((e) => e.payload.success === false).length;
    const err = await finish(query, binding, new Date(), sockets()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ConnectError);
    expect((await outboxRows()).filter((e) => e.payload.success === false)).toHaveLength(failuresBefore);
    expect(await client.next('error')).toEqual({
      message_type: 'error',
      provider_config_key: 'oidc',
      connection_id: '',
      error_type: 'unknown_err',
      error_desc: 'An unexpected error occurred; the connection was not made.',
    });
  });
});

/** The credentials of a connection, as GET /connections/{id} shows them. */
async function storedCredentials(connectionId: string): Promise<Record<string, unknown>> {
  const res = await t.api(`/connections/${connectionId}?provider_config_key=oidc&refresh_token=true`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { credentials: Record<string, unknown> }).credentials;
}

test("an end user's client id without its secret does not replace the integration's client", async () => {
  const { query, binding } = await startedFlow();
  const [{ request }] = await database().query<{ request: OAuthSessionRequest }>('SELECT request FROM oauth_sessions');
  await database().execute('UPDATE oauth_sessions SET request = CAST(:request AS jsonb)', { request: JSON.stringify({ ...request, clientIdOverride: 'not-a-client-of-the-server' }) });
  const done = await finish(query, binding);
  expect(await storedCredentials(done.connectionId)).not.toHaveProperty('config_override');
});

describe('OAuth session rows', () => {
  type Stored = { id: string; environment_id: string; state_hash: Buffer; browser_binding_hash: Buffer; connect_session_id: string; integration_id: string; secrets: Buffer | null; redirect_uri: string; request: OAuthSessionRequest; expires_at: Date };
  const stored = async () => (await database().query<Stored>('SELECT * FROM oauth_sessions'))[0];

  test('what insertOAuthSession stores (with its audit row) is what the callback consumes, once', async () => {
    await startedFlow();
    const row = await stored();
    await database().execute('DELETE FROM oauth_sessions');
    const expiresAt = new Date(Date.now() + 60_000);
    const request = { ...row.request, clientIdOverride: 'own-client' };
    await insertOAuthSession(
      database(),
      { id: row.id, environmentId: row.environment_id, stateHash: row.state_hash, browserBindingHash: row.browser_binding_hash, connectSessionId: row.connect_session_id, integrationId: row.integration_id, reconnectRowId: null, secrets: row.secrets, redirectUri: row.redirect_uri, request, wsClientId: 'ws-client-1', expiresAt },
      { ...audit, environmentId: row.environment_id, action: 'connect.oauth.authorize', targetType: 'integration', targetId: row.integration_id, detail: { probe: 'insert' } },
    );
    const [logged] = await database().query<{ target_id: string }>("SELECT target_id FROM audit_events WHERE action = 'connect.oauth.authorize' AND detail->>'probe' = 'insert'");
    expect(logged).toEqual({ target_id: row.integration_id });

    const consumed = await consumeOAuthSession(database(), row.state_hash, new Date());
    expect(consumed).toMatchObject({ id: row.id, environment_id: row.environment_id, connect_session_id: row.connect_session_id, browser_binding_hash: row.browser_binding_hash, connection_id: null, secrets: row.secrets, redirect_uri: row.redirect_uri, request, ws_client_id: 'ws-client-1', expires_at: expiresAt, connect_session_expired: false });
    expect(await consumeOAuthSession(database(), row.state_hash, new Date())).toBeUndefined();
  });

  test('deleteExpiredOAuthSessions removes the sessions past their expiry, in batches', async () => {
    for (let i = 0; i < 3; i++) await startedFlow();
    const [{ now }] = await database().query<{ now: Date }>('SELECT max(expires_at) AS now FROM oauth_sessions');
    await database().execute("UPDATE oauth_sessions SET expires_at = :now - interval '1 millisecond' WHERE expires_at < :now", { now });
    expect(await deleteExpiredOAuthSessions(database(), now, { batchSize: 1, deadline: Date.now() + 60_000 })).toBe(2);
    expect(await database().query<{ expires_at: Date }>('SELECT expires_at FROM oauth_sessions')).toEqual([{ expires_at: now }]);
  });
});

// Last: it waits for the token client's own deadline.
test('a provider that does not answer the exchange in time is reported as unavailable', async () => {
  const held: net.Socket[] = [];
  const silent = net.createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { query, binding } = await startedFlow();
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/token`;
    await withProvider({ token_url: url }, async () => {
      expect(await refusal(finish(query, binding))).toEqual({ reason: 'token_exchange_failed', message: 'The provider did not exchange the authorization code: timeout', providerUnavailable: true });
    });
  } finally {
    for (const socket of held) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
}, 30_000);
