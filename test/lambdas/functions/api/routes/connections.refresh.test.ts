import { Nango } from '@nangohq/node';
import { startTestStack, readJson, type TestStack } from '../../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../../support/oauth-server';
import { auditActions, columns, importOAuth2, initialTokens, oauthIntegration, PAST, startRawTokenServer, type RawTokenServer } from '../../../connections/refresh/refresh-fixtures';

/** Refresh on read through GET /connections/{id}, driven with the real Nango SDK. */

let t: TestStack;
let server: OAuthServer;
let raw: RawTokenServer;
let nango: Nango;
const OIDC = 'oidc-read';
const RAW = 'raw-read';
const RAW_CLIENT = { client_id: 'raw-read-client', client_secret: 'raw-read-client-secret-value' };
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
const FUTURE = () => new Date(Date.now() + 3600_000).toISOString();

beforeAll(async () => {
  [t, server, raw] = await Promise.all([startTestStack(), startOAuthServer(), startRawTokenServer()]);
  t.secrets.register(server.clients.post.client_secret, RAW_CLIENT.client_secret);
  await oauthIntegration(t, OIDC, server.tokenUrl, server.clients.post);
  await oauthIntegration(t, RAW, raw.url, RAW_CLIENT);
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
});
afterAll(async () => {
  await raw?.stop();
  await server?.stop();
  await t?.stop();
});

/** A connection holding a live token pair of the real server, stored as expiring at `expiresAt`. */
async function oidcConnection(connectionId: string, expiresAt: string) {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, OIDC, connectionId, { ...tokens, expires_at: expiresAt });
  return { c, tokens };
}

test('an expired token: the SDK gets a NEW access token, stored and versioned, one success event, 3 statements', async () => {
  const { c, tokens } = await oidcConnection('expired-1', PAST);
  t.stack.dataApi.control.resetStats();
  const token = (await nango.getToken(OIDC, 'expired-1')) as string;
  const statements = sum(t.stack.dataApi.control.stats().calls);
  t.secrets.register(token);
  expect(typeof token).toBe('string');
  expect(token).not.toBe(tokens.access_token);
  // Read, lease, compare-and-set save (the custom provider and the client secret came with the read).
  expect(statements).toBe(3);

  const row = await columns(c);
  expect(row.credentials_version).toBe(1);
  expect(row.credentials_expires_at!.getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.success', outcome: 'success' })]);

  // Now fresh: the next read returns the same token with no refresh; the refresh token is stripped as always.
  const connection = await nango.getConnection(OIDC, 'expired-1');
  expect(connection.credentials).toMatchObject({ type: 'OAUTH2', access_token: token });
  expect(connection.credentials).not.toHaveProperty('refresh_token');
  expect(JSON.stringify(connection)).not.toContain(tokens.refresh_token);
  expect((await columns(c)).credentials_version).toBe(1);
});

test('a fresh token costs exactly ONE statement and no refresh; force_refresh=true refreshes it', async () => {
  const { c, tokens } = await oidcConnection('fresh-1', FUTURE());
  t.stack.dataApi.control.resetStats();
  expect(await nango.getToken(OIDC, 'fresh-1')).toBe(tokens.access_token);
  expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
  expect((await columns(c)).credentials_version).toBe(0);
  expect(await auditActions(c)).toEqual([]);

  const forced = await nango.getConnection(OIDC, 'fresh-1', true);
  const access = (forced.credentials as { access_token: string }).access_token;
  t.secrets.register(access);
  expect(access).not.toBe(tokens.access_token);
  expect(forced.credentials).not.toHaveProperty('refresh_token');
  // refresh_token=true returns the rotated refresh token, which is the stored one.
  const withRefresh = await nango.getConnection(OIDC, 'fresh-1', false, true);
  const rotated = (withRefresh.credentials as { refresh_token: string }).refresh_token;
  t.secrets.register(rotated);
  expect(rotated).not.toBe(tokens.refresh_token);
  expect((await columns(c)).credentials_version).toBe(1);
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.success', detail: expect.objectContaining({ forced: true }) })]);
});

test('provider 503: 400 invalid_credentials now, then 424 connection_refresh_backoff without calling it; payload has the connection without credentials', async () => {
  const access = 'raw-read-access-token-value-1';
  const refresh = 'raw-read-refresh-token-value-1';
  t.secrets.register(access, refresh);
  const c = await importOAuth2(t, RAW, 'down-1', { access_token: access, refresh_token: refresh, expires_at: PAST });
  raw.answer = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
  const before = raw.requests.length;

  const first = await nango.getConnection(RAW, 'down-1').then(
    () => undefined,
    (e: { response?: { status: number; data: unknown } }) => e.response,
  );
  expect(first?.status).toBe(400);
  expect(first?.data).toMatchObject({
    error: {
      code: 'invalid_credentials',
      message: expect.stringContaining('refresh the access token'),
      payload: { connection: { connection_id: 'down-1', provider_config_key: RAW, provider: RAW, credentials: {} } },
    },
  });
  expect(raw.requests.length - before).toBe(1);

  // Within the cooldown: 424 backoff, and the provider is not called again.
  const second = await t.api(`/connections/down-1?provider_config_key=${RAW}`);
  const { status, body } = await readJson(second);
  expect(status).toBe(424);
  expect(body).toMatchObject({ error: { code: 'invalid_credentials', message: expect.stringContaining('backoff'), payload: { connection: { connection_id: 'down-1', credentials: {} } } } });
  expect(raw.requests.length - before).toBe(1);
  await expect(nango.getToken(RAW, 'down-1')).rejects.toMatchObject({ response: { status: 424 } });

  for (const text of [JSON.stringify(first?.data), JSON.stringify(body)]) {
    for (const secret of [access, refresh, RAW_CLIENT.client_secret]) expect(text).not.toContain(secret);
  }
  expect((await columns(c)).credentials_version).toBe(0);
  expect((await auditActions(c)).map((e) => e.action)).toEqual(['connection.refresh.failure']);

  // force_refresh bypasses the backoff; the provider is back.
  raw.answer = () => ({ status: 200, body: { access_token: 'raw-read-access-token-value-2', token_type: 'Bearer', expires_in: 3600 } });
  t.secrets.register('raw-read-access-token-value-2');
  expect(await nango.getToken(RAW, 'down-1', true)).toBe('raw-read-access-token-value-2');
  expect((await columns(c)).refresh_failure_count).toBe(0);
});

test('a key without the credentials scope never triggers a refresh', async () => {
  const access = 'raw-read-access-token-value-3';
  t.secrets.register(access, 'raw-read-refresh-token-value-3');
  const c = await importOAuth2(t, RAW, 'noscope-1', { access_token: access, refresh_token: 'raw-read-refresh-token-value-3', expires_at: PAST });
  const before = raw.requests.length;
  const created = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'read-only', scopes: ['environment:connections:read'] } }));
  expect(created.status).toBe(201);
  const key = created.body.data.secret as string;
  t.secrets.register(key);
  const res = await readJson(await t.api(`/connections/noscope-1?provider_config_key=${RAW}`, { key }));
  expect(res.status).toBe(200);
  expect(res.body.credentials).toEqual({});
  expect(raw.requests.length).toBe(before);
  expect((await columns(c)).credentials_version).toBe(0);
});
