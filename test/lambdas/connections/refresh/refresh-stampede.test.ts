import { startApiInstances, type ApiInstances } from '../../../support/api-instances';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { stampede } from '../../../support/refresh-stampede';
import { auditActions, columns, importOAuth2, initialTokens, oauthIntegration, PAST } from './refresh-fixtures';

/**
 * The stampede across Lambda instances: 200 concurrent reads of one expired connection, spread over
 * 4 api handlers in 4 separate processes (no shared memory: only PostgreSQL coordinates them),
 * against oidc-provider with short-lived access tokens and rotating refresh tokens.
 */

// Bounds a hang only: four instance processes start slowly on a loaded machine.
jest.setTimeout(300_000);

let t: TestStack;
let server: OAuthServer;
let instances: ApiInstances;
const PROVIDER = 'oidc-stampede';

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer({ accessTokenTtl: 120 })]);
  instances = await startApiInstances(4, t.stack.env);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await instances?.stop();
  await server?.stop();
  await t?.stop();
});

test('200 concurrent reads on 4 instances (processes): ONE token request; every caller gets the same valid token', async () => {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, PROVIDER, 'stampede-1', { ...tokens, expires_at: PAST });
  expect(new Set(instances.instances.map((i) => i.pid)).size).toBe(4);

  const before = (await server.control()).tokenRequests;
  const calls = await stampede({ urls: instances.instances.map((i) => i.url), key: t.devKey, providerConfigKey: PROVIDER, connectionId: 'stampede-1', callers: 200 });
  const tokenRequests = (await server.control()).tokenRequests - before;
  const accessTokens = new Set(calls.map((call) => call.accessToken));
  accessTokens.forEach((token) => token && t.secrets.register(token));

  expect(calls.map((call) => call.status)).toEqual(Array(200).fill(200));
  expect(tokenRequests).toBe(1);
  expect(accessTokens.size).toBe(1);
  const [token] = accessTokens;
  expect(token).not.toBe(tokens.access_token);
  // Valid at the provider: its userinfo endpoint accepts it.
  const me = await fetch(`${server.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(200);

  const row = await columns(c);
  expect(row).toMatchObject({ credentials_version: 1, refresh_lease_holder: null, refresh_failure_count: 0 });
  // expires_in of the short-lived token, counted from the refresh.
  expect(row.credentials_expires_at!.getTime()).toBeLessThanOrEqual(Date.now() + 120_000);
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.success' })]);
  // How long the callers waited is a performance figure: `npm run bench -- refresh` measures it.
});
