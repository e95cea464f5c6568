import { database, envelopeCipher } from '../../../support/handles';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { sweepProactiveRefresh } from '../../../../lambdas/sweeps/proactive-refresh';
import { readJson, startTestStack, type TestStack } from '../../../support/local-stack';
import { WebhookReceiver } from '../../../support/webhook-receiver';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { auditActions, columns, importOAuth2, initialTokens, oauthIntegration, PAST, type Imported } from './refresh-fixtures';

/**
 * Refresh incidents through GET /connections/{id}, against oidc-provider (short-lived access
 * tokens, rotating refresh tokens): a revoked grant and a provider outage. One failure webhook per
 * incident, a clear 4xx to callers, a cooldown without a storm, and recovery by the sweep.
 */

jest.setTimeout(30_000);

let t: TestStack;
let server: OAuthServer;
const PROVIDER = 'oidc-incidents';

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer({ accessTokenTtl: 300 })]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

async function expired(connectionId: string): Promise<{ c: Imported; tokens: { access_token: string; refresh_token: string } }> {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  return { c: await importOAuth2(t, PROVIDER, connectionId, { ...tokens, expires_at: PAST }), tokens };
}

const read = (connectionId: string) => t.api(`/connections/${connectionId}?provider_config_key=${PROVIDER}`).then(readJson);
const readMany = (connectionId: string, n: number) => Promise.all(Array.from({ length: n }, () => read(connectionId)));
const tokenRequests = async () => (await server.control()).tokenRequests;

async function authEvents(c: Imported): Promise<Array<{ id: string; payload: Record<string, unknown> }>> {
  return database().query("SELECT id, payload FROM outbox WHERE connection_id = :id AND event_type = 'auth' ORDER BY created_at", { id: uuid(c.rowId) });
}

async function listed(connectionId: string) {
  const { body } = await readJson(await t.api(`/connections?connectionId=${connectionId}`));
  return body.connections[0];
}

test('a revoked grant: ONE provider call, 4xx to every caller, ONE failure webhook, errors listed, no retry after', async () => {
  const { c, tokens } = await expired('revoked-1');
  const revoke = await fetch(`${server.issuer}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens.refresh_token, client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret }),
  });
  expect(revoke.status).toBe(200);

  const before = await tokenRequests();
  const answers = await readMany('revoked-1', 10);
  expect(await tokenRequests()).toBe(before + 1);
  for (const answer of answers) {
    expect([400, 424]).toContain(answer.status);
    expect(answer.body.error.code).toBe('invalid_credentials');
    expect(answer.body.error.payload.connection.credentials).toEqual({});
  }
  expect(answers.some((a) => a.status === 400)).toBe(true);
  expect(JSON.stringify(answers)).not.toContain(tokens.refresh_token);

  const events = await authEvents(c);
  expect(events).toHaveLength(1);
  expect(events[0].payload).toEqual({
    from: 'nango',
    type: 'auth',
    connectionId: 'revoked-1',
    providerConfigKey: PROVIDER,
    provider: PROVIDER,
    authMode: 'OAUTH2',
    environment: 'dev',
    operation: 'refresh',
    success: false,
    error: { type: 'refresh_token_external_error', description: expect.stringContaining('must reconnect') },
    tags: {},
  });
  expect((await listed('revoked-1')).errors).toEqual([{ type: 'auth', log_id: events[0].id }]);

  // Later reads: 424 at once, no provider call, no second webhook; the sweep leaves it alone too.
  const later = await read('revoked-1');
  expect(later).toMatchObject({ status: 424, body: { error: { code: 'invalid_credentials' } } });
  expect(later.body.error.payload.connection.refresh).toMatchObject({ needs_reauthorization: true, consecutive_failures: 1, last_success_at: null });
  await sweepProactiveRefresh(database(), new Date(Date.now() + 2 * 3600_000), { batchSize: 500, deadline: Date.now() + 10_000 }, { cipher: envelopeCipher() });
  expect(await tokenRequests()).toBe(before + 1);
  expect(await authEvents(c)).toHaveLength(1);
  expect((await auditActions(c)).map((a) => a.action)).toEqual(['connection.refresh.failure']);
});

test('an outage: ONE call, then a cooldown (424, no storm), never marked broken; the sweep recovers it with ONE recovered webhook', async () => {
  const { c } = await expired('outage-1');
  await server.setOutage(true);
  const before = await tokenRequests();
  try {
    const first = await readMany('outage-1', 20);
    expect(first.map((a) => a.status).sort()).toEqual(expect.arrayContaining([400]));
    for (const answer of first) expect([400, 424]).toContain(answer.status);
    // The storm that did not happen: 40 more reads during the cooldown, no provider call.
    const during = await readMany('outage-1', 40);
    expect(during.map((a) => a.status)).toEqual(Array(40).fill(424));
    expect(during[0].body.error.message).toContain('backoff');
    expect(await tokenRequests()).toBe(before + 1);
  } finally {
    await server.setOutage(false);
  }
  const failing = await columns(c);
  expect(failing).toMatchObject({ refresh_failure_count: 1, auth_error: null });
  const [failure] = await authEvents(c);
  expect(failure.payload).toMatchObject({ operation: 'refresh', success: false, error: { type: 'refresh_token_external_error', description: expect.stringContaining('HTTP 503') } });
  expect((await listed('outage-1')).errors).toEqual([{ type: 'auth', log_id: failure.id }]);

  // The provider is back; the next sweep after the cooldown refreshes the connection.
  const result = await sweepProactiveRefresh(database(), new Date(failing.refresh_backoff_until!.getTime() + 1000), { batchSize: 500, deadline: Date.now() + 10_000 }, { cipher: envelopeCipher() });
  expect(result).toMatchObject({ refreshesSucceeded: 1, refreshesFailed: 0 });
  expect(await tokenRequests()).toBe(before + 2);
  const events = await authEvents(c);
  expect(events).toHaveLength(2);
  expect(events[1].payload).toEqual({
    from: 'nango',
    type: 'auth',
    connectionId: 'outage-1',
    providerConfigKey: PROVIDER,
    provider: PROVIDER,
    authMode: 'OAUTH2',
    environment: 'dev',
    operation: 'refresh',
    success: true,
    tags: {},
  });

  const ok = await read('outage-1');
  expect(ok.status).toBe(200);
  t.secrets.register(ok.body.credentials.access_token);
  expect(ok.body.errors).toEqual([]);
  expect(ok.body.refresh).toMatchObject({ consecutive_failures: 0, needs_reauthorization: false, backoff_until: null, last_success_at: expect.any(String), last_failure_at: expect.any(String) });
  expect(await tokenRequests()).toBe(before + 2);
  expect(await columns(c)).toMatchObject({ refresh_failure_count: 0, auth_error: null, refresh_backoff_until: null });
  expect((await auditActions(c)).map((a) => a.action)).toEqual(['connection.refresh.failure', 'connection.refresh.success']);
});

test('the failure webhook reaches the receiver right after the 4xx, without a re-drive', async () => {
  const receiver = new WebhookReceiver();
  await receiver.start();
  const patch = (json: Record<string, unknown>) => t.api('/environment', { method: 'PATCH', json });
  try {
    expect((await patch({ webhook_url: receiver.url('/hook'), webhook_on_auth_refresh_error: true })).status).toBe(200);
    const rotated = await readJson(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
    t.secrets.register(rotated.body.data.webhook_signing_key);
    const { tokens } = await expired('revoked-webhook');
    const revoke = await fetch(`${server.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.refresh_token, client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret }),
    });
    expect(revoke.status).toBe(200);

    const answer = await read('revoked-webhook');
    expect(answer.status).toBe(400);
    // Only the request's own publish can have put it on the bus: no scheduler tick runs here.
    await t.stack.eventBridge.idle();
    expect(receiver.requests.map((r) => JSON.parse(r.body))).toEqual([
      expect.objectContaining({ type: 'auth', operation: 'refresh', success: false, connectionId: 'revoked-webhook' }),
    ]);
  } finally {
    await patch({ webhook_url: null });
    await receiver.stop();
  }
});
