import { startTestStack, type TestStack } from '../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { stampede } from '../../../support/refresh-stampede';
import { importOAuth2, initialTokens, oauthIntegration, PAST } from '../../connections/refresh/refresh-fixtures';

/**
 * A burst of credential reads on one stack (as under `npm start`): 200 concurrent
 * `GET /connections/{id}`, of a connection never read before (cold caches) and of an expired one
 * (the refresh stampede), must all succeed — no socket reset between a function and the Data API
 * may turn into a 5xx.
 */

jest.setTimeout(90_000);

let t: TestStack;
let server: OAuthServer;
const PROVIDER = 'oidc-burst';

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer({ accessTokenTtl: 120 })]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

async function burst(connectionId: string, expired: boolean) {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  await importOAuth2(t, PROVIDER, connectionId, { ...tokens, ...(expired ? { expires_at: PAST } : {}) });
  const calls = await stampede({ urls: [t.baseUrl], key: t.devKey, providerConfigKey: PROVIDER, connectionId, callers: 200 });
  calls.forEach((call) => call.accessToken && t.secrets.register(call.accessToken));
  return calls;
}

test('200 concurrent reads of a connection with a valid token, cold: all 200', async () => {
  const calls = await burst('burst-cold', false);
  expect(calls.filter((call) => call.status !== 200).map((call) => call.status)).toEqual([]);
});

test('200 concurrent reads of an expired connection: all 200, one fresh token', async () => {
  const calls = await burst('burst-expired', true);
  expect(calls.filter((call) => call.status !== 200).map((call) => call.status)).toEqual([]);
  expect(new Set(calls.map((call) => call.accessToken)).size).toBe(1);
});
