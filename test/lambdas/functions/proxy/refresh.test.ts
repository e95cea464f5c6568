import { Nango } from '@nangohq/node';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { columns, importOAuth2, initialTokens, oauthIntegration, PAST } from '../../connections/refresh/refresh-fixtures';
import { proxyEvents } from './proxy-fixtures';

/**
 * The proxy renews tokens through the single-flight refresh, against the real oidc-provider whose
 * userinfo endpoint (`/me`) is the upstream: a due token is renewed before the call, a token the
 * upstream refuses (401) is renewed once and the call tried once more, and a burst of calls on an
 * expired token makes one token request.
 */

jest.setTimeout(180_000);

let t: TestStack;
let server: OAuthServer;
let nango: Nango;
const PROVIDER = 'oidc-proxy';
const FUTURE = () => new Date(Date.now() + 3600_000).toISOString();

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer({ accessTokenTtl: 600 })]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post, { proxy: { base_url: server.issuer } });
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

async function connection(connectionId: string, overrides: { access_token?: string; expires_at: string }) {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, PROVIDER, connectionId, { ...tokens, ...overrides });
  return { c, tokens };
}

const me = (connectionId: string) => nango.get<{ sub?: string }>({ providerConfigKey: PROVIDER, connectionId, endpoint: '/me' });

test('an expired token is renewed first, then the call goes out with the new one', async () => {
  const { c } = await connection('due-1', { expires_at: PAST });
  const before = (await server.control()).tokenRequests;
  const res = await me('due-1');
  expect(res.status).toBe(200);
  expect(res.data.sub).toBeDefined();
  expect((await server.control()).tokenRequests - before).toBe(1);
  expect((await columns(c)).credentials_version).toBe(1);
  expect((await proxyEvents(c.rowId)).at(-1)).toMatchObject({ outcome: 'success', detail: { status: 200, refreshed: true, path: '/me' } });
});

test('a 401 from the upstream: renewed once (forced), the call tried once more', async () => {
  // The stored token looks fresh but the provider does not know it (revoked, or renewed elsewhere).
  const { c } = await connection('revoked-1', { access_token: 'revoked-access-token-0123456789', expires_at: FUTURE() });
  t.secrets.register('revoked-access-token-0123456789');
  const before = (await server.control()).tokenRequests;
  const res = await me('revoked-1');
  expect(res.status).toBe(200);
  expect((await server.control()).tokenRequests - before).toBe(1);
  expect((await columns(c)).credentials_version).toBe(1);
  expect((await proxyEvents(c.rowId)).at(-1)).toMatchObject({ detail: { status: 200, refreshed: true } });
});

test('a burst of 100 proxied calls on an expired token: one token request, every call answered with the new token', async () => {
  const { c } = await connection('burst-1', { expires_at: PAST });
  const before = (await server.control()).tokenRequests;
  const results = await Promise.all(Array.from({ length: 100 }, () => me('burst-1').then((r) => r.status, (err: { response?: { status: number } }) => err.response?.status ?? 0)));
  expect(results).toEqual(Array(100).fill(200));
  expect((await server.control()).tokenRequests - before).toBe(1);
  expect((await columns(c)).credentials_version).toBe(1);
  const events = await proxyEvents(c.rowId);
  expect(events).toHaveLength(100);
  expect(events.every((e) => e.detail.status === 200)).toBe(true);
});
