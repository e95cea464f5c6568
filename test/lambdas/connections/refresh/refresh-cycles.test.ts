import { RefreshCoordinator, type RefreshResult } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { auditActions, columns, importOAuth2, initialTokens, inputFor, oauthIntegration, PAST, type Imported } from './refresh-fixtures';

/**
 * 1,000 refresh cycles under concurrent load against oidc-provider, which rotates the refresh
 * token on every use and answers invalid_grant to a reused one: 10 connections refreshed at once,
 * 100 cycles each, every cycle raced by 3 callers on 2 coordinators ("instances"). A single lost
 * or reused refresh token would fail the next cycle of its connection.
 */

// A soak: the limit bounds a hang only, so a loaded machine is slow rather than red (the bench
// reports speed).
jest.setTimeout(900_000);

let t: TestStack;
let server: OAuthServer;
const PROVIDER = 'oidc-cycles';
const CONNECTIONS = 10;
const CYCLES = 100;

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer({ accessTokenTtl: 60 })]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

test('1,000 cycles: exactly one token request each, no failure, no refresh token lost', async () => {
  const connections: Imported[] = [];
  for (let i = 0; i < CONNECTIONS; i += 1) {
    const tokens = await initialTokens(server, server.clients.post);
    t.secrets.register(tokens.access_token, tokens.refresh_token);
    connections.push(await importOAuth2(t, PROVIDER, `cycle-${i}`, { ...tokens, expires_at: PAST }));
  }
  const [a, b] = [new RefreshCoordinator(), new RefreshCoordinator()];
  const before = (await server.control()).tokenRequests;
  const seen = new Set<string>();

  await Promise.all(
    connections.map(async (c) => {
      const base = await inputFor(c, PROVIDER, server.clients.post);
      for (let cycle = 0; cycle < CYCLES; cycle += 1) {
        const input = { ...base, force: true, now: new Date(), row: { ...base.row, credentialsVersion: cycle } };
        const results: RefreshResult[] = await Promise.all([a.refresh(input), a.refresh(input), b.refresh(input)]);
        const tokens = new Set(results.map((r) => (r.credentials as { access_token: string }).access_token));
        expect(tokens.size).toBe(1);
        expect(results.map((r) => r.credentialsVersion)).toEqual([cycle + 1, cycle + 1, cycle + 1]);
        const [token] = tokens;
        expect(seen.has(token)).toBe(false);
        seen.add(token);
        t.secrets.register(token, (results[0].credentials as { refresh_token: string }).refresh_token);
      }
    }),
  );

  expect((await server.control()).tokenRequests - before).toBe(CONNECTIONS * CYCLES);
  expect(seen.size).toBe(CONNECTIONS * CYCLES);
  for (const c of connections) {
    expect(await columns(c)).toMatchObject({ credentials_version: CYCLES, refresh_failure_count: 0, auth_error: null, refresh_lease_holder: null });
  }
  const actions = await auditActions(connections[0]);
  expect(actions).toHaveLength(CYCLES);
  expect(actions.every((a) => a.action === 'connection.refresh.success' && a.detail.refresh_token_rotated === true)).toBe(true);

  // The stored refresh tokens are the live ones: one more refresh of each works.
  for (const c of connections) {
    const result = await new RefreshCoordinator().refresh({ ...(await inputFor(c, PROVIDER, server.clients.post)), force: true });
    expect(result.outcome).toBe('refreshed');
    t.secrets.register((result.credentials as { access_token: string }).access_token, (result.credentials as { refresh_token: string }).refresh_token);
  }
});
