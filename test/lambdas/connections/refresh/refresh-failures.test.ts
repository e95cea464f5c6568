import { database, envelopeCipher } from '../../../support/handles';
import { randomUUID } from 'node:crypto';
import { RefreshCoordinator, type RefreshConnectionInput } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { RefreshBackoffError, RefreshConnectionGoneError, RefreshExhaustedError, RefreshFailedError } from '../../../../lambdas/connections/refresh/refresh-errors';
import { answerFor } from '../../../../lambdas/http/error-table';
import { releaseLease, tryAcquireLease } from '../../../../lambdas/connections/refresh/refresh-lease-store';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { OAuthTokenError, type OAuth2Credentials } from '../../../../lambdas/oauth/token-response';
import { OAuthConfigError } from '../../../../lambdas/oauth/token-client';
import { AppTokenError, UnreadableCredentialsError } from '../../../../lambdas/connections/errors';
import { readRefreshState } from '../../../../lambdas/connections/refresh/refresh-store';
import { createRdsDataClient, DataApi } from '../../../../lambdas/platform/db/data-api';
import { startLossyProxy } from '../../../support/lossy-proxy';
import { RequestScope, runAfterRequest, runInRequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { EVENT_SOURCE } from '../../../../lib/topology';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { environmentId } from '../fixtures';
import { auditActions, columns, dataApiCalls, importOAuth2, inputFor, oauthIntegration, PAST, rejection, startRawTokenServer, virtualTimer, type Imported, type RawTokenServer } from './refresh-fixtures';

/** Failure handling, backoff and merging against a raw token endpoint whose answers each test sets. */

let t: TestStack;
let raw: RawTokenServer;
const PROVIDER = 'raw-test';
const CLIENT = { client_id: 'raw-client', client_secret: 'raw-client-secret-value' };
const OLD_RT = 'old-refresh-token-value-0001';
const SECOND = 1000;
const DAY = 86_400_000;

beforeAll(async () => {
  [t, raw] = await Promise.all([startTestStack(), startRawTokenServer()]);
  t.secrets.register(CLIENT.client_secret, OLD_RT);
  await oauthIntegration(t, PROVIDER, raw.url, CLIENT);
  t.stack.eventBridge.addRule({ name: 'refresh-failures', pattern: { source: [EVENT_SOURCE] }, target: (e) => void onBus.push(String(e.detail.outbox_id)) });
});
afterAll(async () => {
  await raw?.stop();
  await t?.stop();
});

let n = 0;
async function connection(extra: { refresh_token?: string; expires_at?: string } = {}): Promise<Imported> {
  n += 1;
  const access = `old-access-token-value-${n}-${randomUUID()}`;
  t.secrets.register(access);
  return importOAuth2(t, PROVIDER, `c-${n}`, { access_token: access, refresh_token: OLD_RT, expires_at: PAST, ...extra });
}

/** Coordinators on a virtual clock: the request's clock moves only when they wait, so times are exact. */
const refresher = () => new RefreshCoordinator({ timer: virtualTimer() });

/** Outbox ids published to the bus (the test's own rule). */
const onBus: string[] = [];
/** Runs `work` as a request does, then the request's after-work: publishing the events it wrote. */
async function asRequest<T>(work: () => Promise<T>): Promise<T> {
  const scope = new RequestScope();
  try {
    return await runInRequestScope(work, scope);
  } finally {
    await runInRequestScope(runAfterRequest, scope);
  }
}
const at = async (c: Imported, now: Date, force = false): Promise<RefreshConnectionInput> => ({ ...(await inputFor(c, PROVIDER, CLIENT, now)), force });
const ok = (access: string, extra: Record<string, unknown> = {}) => () => ({ status: 200, body: { access_token: access, token_type: 'Bearer', expires_in: 3600, ...extra } });
const status = (code: number, body: unknown = { error: 'temporarily_unavailable' }) => () => ({ status: code, body });

async function storedCredentials(c: Imported): Promise<Record<string, unknown>> {
  return envelopeCipher().decryptJson((await columns(c)).credentials, { environmentId: c.environmentId, purpose: 'connection-credentials', table: 'connections', rowId: c.rowId, field: 'credentials' });
}

test('an answer without refresh_token keeps the old one; the request is a refresh_token grant', async () => {
  const c = await connection();
  raw.answer = ok('new-access-token-value-d1');
  t.secrets.register('new-access-token-value-d1');
  const before = raw.requests.length;
  const now = new Date();
  const result = await refresher().refresh(await at(c, now));
  expect(raw.requests.length - before).toBe(1);
  expect(Object.fromEntries(raw.requests.at(-1)!)).toEqual({ grant_type: 'refresh_token', refresh_token: OLD_RT, client_id: CLIENT.client_id, client_secret: CLIENT.client_secret });
  expect(result.outcome).toBe('refreshed');
  expect(result.credentials).toMatchObject({ access_token: 'new-access-token-value-d1', refresh_token: OLD_RT });
  const stored = await storedCredentials(c);
  expect(stored).toMatchObject({ type: 'OAUTH2', access_token: 'new-access-token-value-d1', refresh_token: OLD_RT });
  // expires_in counts from the request's clock.
  expect(Date.parse(stored.expires_at as string) - now.getTime()).toBe(3600 * SECOND);
  expect(stored.raw).not.toHaveProperty('refresh_token');
  expect((await columns(c)).credentials_expires_at?.toISOString()).toBe(stored.expires_at);
  // Asked by nobody in particular: the system's token refresh, not forced.
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.success', detail: expect.objectContaining({ forced: false, refresh_token_rotated: false }) })]);
  const [actor] = await database().query("SELECT actor_type, actor_id FROM audit_events WHERE target_id = :id AND action = 'connection.refresh.success'", { id: c.rowId });
  expect(actor).toEqual({ actor_type: 'system', actor_id: 'token-refresh' });
});

test('503: failure recorded with backoff, no auth_error; within backoff no provider call; force bypasses; success resets', async () => {
  const c = await connection();
  const t0 = new Date();
  raw.answer = status(503);
  const count = raw.requests.length;
  // Each refresh as a request serves it, so what it publishes at once reaches the bus.
  const run = async (input: Promise<RefreshConnectionInput>) => {
    const ready = await input;
    return asRequest(() => refresher().refresh(ready));
  };
  await t.stack.eventBridge.idle();
  onBus.length = 0;

  const first = await rejection(run(at(c, t0)));
  expect(first.error).toBeInstanceOf(RefreshFailedError);
  expect(first.error).toMatchObject({ kind: 'server', status: 503, definitive: false, needsReauthorization: false, providerError: 'temporarily_unavailable' });
  let row = await columns(c);
  expect(row).toMatchObject({ refresh_failure_count: 1, auth_error: null, refresh_lease_holder: null, credentials_version: 0 });
  const backoff = row.refresh_backoff_until!.getTime() - t0.getTime();
  expect(backoff).toBe(30 * SECOND);
  expect(row.last_refresh_failure_at).toBeInstanceOf(Date);

  const within = await rejection(run(at(c, new Date(t0.getTime() + 5 * SECOND))));
  expect(within.error).toBeInstanceOf(RefreshBackoffError);
  expect(within.error).toMatchObject({ reason: 'connection_refresh_backoff', retryAt: row.refresh_backoff_until });
  expect(answerFor(within.error as RefreshBackoffError)).toMatchObject({ statusCode: 424, code: 'invalid_credentials' });
  expect(raw.requests.length - count).toBe(1);

  // After the cooldown: tried again, cooldown doubles.
  await rejection(run(at(c, new Date(t0.getTime() + 31 * SECOND))));
  row = await columns(c);
  expect(row.refresh_failure_count).toBe(2);
  expect(row.refresh_backoff_until!.getTime() - t0.getTime()).toBeGreaterThanOrEqual(91 * SECOND);
  expect(raw.requests.length - count).toBe(2);

  // Forced: the provider is asked despite the cooldown; it works now.
  raw.answer = ok('new-access-token-value-e1', { refresh_token: 'rotated-refresh-token-e1' });
  t.secrets.register('new-access-token-value-e1', 'rotated-refresh-token-e1');
  const forced = await run(at(c, new Date(t0.getTime() + 32 * SECOND), true));
  expect(forced.credentials).toMatchObject({ access_token: 'new-access-token-value-e1', refresh_token: 'rotated-refresh-token-e1' });
  expect(raw.requests.length - count).toBe(3);
  expect(await columns(c)).toMatchObject({ refresh_failure_count: 0, refresh_backoff_until: null, auth_error: null, credentials_version: 1 });
  expect((await auditActions(c)).map((e) => `${e.action}:${e.outcome}`)).toEqual([
    'connection.refresh.failure:failure',
    'connection.refresh.failure:failure',
    'connection.refresh.success:success',
  ]);
  const [firstEvent, , success] = await auditActions(c);
  expect(firstEvent.detail).toMatchObject({
    forced: false, kind: 'server', status: 503, provider_error: 'temporarily_unavailable', failure_count: 1, backoff_seconds: 30, needs_reauthorization: false, connection_id: c.connectionId,
  });
  expect(success.detail).toMatchObject({ forced: true, credentials_type: 'OAUTH2', refresh_token_rotated: true, expires_at: (forced.credentials as { expires_at: string }).expires_at });
  // The incident: ONE failure webhook when it opened (the status in its description), ONE recovery webhook when it closed.
  const hooks = await database().query<{ id: string; payload: Record<string, unknown> }>("SELECT id, payload FROM outbox WHERE connection_id = :id AND event_type = 'auth' ORDER BY created_at", { id: uuid(c.rowId) });
  // Published at once, each by the request that wrote it; the failure that opened nothing published nothing.
  await t.stack.eventBridge.idle();
  expect(onBus).toEqual(hooks.map((h) => h.id));
  expect(hooks.map((h) => h.payload)).toEqual([
    expect.objectContaining({ operation: 'refresh', success: false, error: { type: 'refresh_token_external_error', description: expect.stringMatching(/\(HTTP 503\)$/) } }),
    expect.objectContaining({ operation: 'refresh', success: true }),
  ]);
  // A success with no incident open closes nothing and publishes nothing.
  await run(at(c, new Date(t0.getTime() + 33 * SECOND), true));
  await t.stack.eventBridge.idle();
  expect(onBus).toEqual(hooks.map((h) => h.id));
});

test('invalid_grant is definitive: auth_error set, later reads refused without a provider call; the description never leaks', async () => {
  const c = await connection();
  // Providers echo what they got in error_description.
  raw.answer = status(400, { error: 'invalid_grant', error_description: `refresh token ${OLD_RT} was revoked` });
  const count = raw.requests.length;
  const now = new Date();
  const { error, text } = await rejection(refresher().refresh(await at(c, now)));
  expect(error).toMatchObject({ kind: 'invalid_grant', definitive: true, needsReauthorization: true, status: 400 });
  expect(answerFor(error as RefreshFailedError)).toMatchObject({ statusCode: 400, code: 'invalid_credentials' });
  for (const secret of [OLD_RT, CLIENT.client_secret, ...Object.values(await storedCredentials(c)).filter((v): v is string => typeof v === 'string' && v.length >= 12)]) {
    expect(text).not.toContain(secret);
  }
  expect(text).not.toContain('was revoked');
  const row = await columns(c);
  expect(row.auth_error).toEqual({ type: 'refresh', kind: 'invalid_grant', status: 400, provider_error: 'invalid_grant', at: expect.any(String) });
  expect(row.refresh_backoff_until!.getTime() - now.getTime()).toBeGreaterThanOrEqual(3600 * SECOND);

  // Even after the cooldown, an unforced read does not spend the dead grant again.
  const later = await rejection(refresher().refresh(await at(c, new Date(now.getTime() + 2 * 3600 * SECOND))));
  expect(later.error).toBeInstanceOf(RefreshExhaustedError);
  expect(raw.requests.length - count).toBe(1);
  expect(await auditActions(c)).toHaveLength(1);
});

test('transient failures mark the connection for reauthorization only when repeated over days', async () => {
  raw.answer = status(502);
  const quick = await connection();
  const spread = await connection();
  const t0 = new Date();
  const fail = async (c: Imported, ms: number) => rejection(refresher().refresh(await at(c, new Date(t0.getTime() + ms))));

  for (const ms of [0, 31 * SECOND, 92 * SECOND, 213 * SECOND, 454 * SECOND]) expect((await fail(quick, ms)).error).toMatchObject({ kind: 'server', needsReauthorization: false });
  expect(await columns(quick)).toMatchObject({ refresh_failure_count: 5, auth_error: null });

  for (const day of [0, 1, 2]) expect((await fail(spread, day * DAY)).error).toMatchObject({ needsReauthorization: false });
  expect((await fail(spread, 3 * DAY + SECOND)).error).toMatchObject({ kind: 'server', needsReauthorization: true, definitive: false });
  expect((await columns(spread)).auth_error).toMatchObject({ type: 'refresh', kind: 'server', status: 502 });
  expect((await fail(spread, 4 * DAY)).error).toBeInstanceOf(RefreshExhaustedError);
  expect(await auditActions(spread)).toHaveLength(4);
});

test('an unexpected error is recorded as a transient failure and surfaces as it is', async () => {
  const c = await connection();
  const boom = new TypeError('boom');
  const input = await at(c, new Date());
  t.stack.dataApi.control.resetStats();
  const { error } = await rejection(refresher().refresh({ ...input, refresh: async () => Promise.reject(boom) }));
  expect(error).toBe(boom);
  // Taking the lease, then recording the failure (which gives the lease back): two statements.
  expect(dataApiCalls(t)).toBe(2);
  expect(await columns(c)).toMatchObject({ refresh_failure_count: 1, auth_error: null, refresh_lease_holder: null });
  expect((await auditActions(c))[0].detail).toMatchObject({ kind: 'unknown' });
});

test('nothing to do: fresh, no expiry, or no refresh token; no provider call, no event, no lease left', async () => {
  const count = raw.requests.length;
  const fresh = await connection({ expires_at: new Date(Date.now() + 3600 * SECOND).toISOString() });
  const noExpiry = await connection({ expires_at: undefined });
  const noRefreshToken = await importOAuth2(t, PROVIDER, 'no-rt', { access_token: 'access-without-refresh-token', expires_at: PAST });
  t.secrets.register('access-without-refresh-token');
  expect((await refresher().refresh(await at(fresh, new Date()))).outcome).toBe('not_needed');
  expect((await refresher().refresh(await at(noExpiry, new Date()))).outcome).toBe('not_needed');
  const result = await refresher().refresh(await at(noRefreshToken, new Date()));
  expect(result).toMatchObject({ outcome: 'not_refreshable', credentials: { access_token: 'access-without-refresh-token' } });
  expect(raw.requests.length).toBe(count);
  for (const c of [fresh, noExpiry, noRefreshToken]) {
    expect(await columns(c)).toMatchObject({ refresh_lease_holder: null, refresh_failure_count: 0 });
    expect(await auditActions(c)).toEqual([]);
  }
});

test('the lease: ONE of many concurrent takers wins; only its holder releases it', async () => {
  const c = await connection();
  const target = { rowId: c.rowId, environmentId: c.environmentId };
  const holders = Array.from({ length: 20 }, () => randomUUID());
  const now = new Date();
  const states = await Promise.all(holders.map((h) => tryAcquireLease(database(), target, h, now, 10_000, { force: false, refreshBefore: new Date(now.getTime() + 900 * SECOND) })));
  const winners = holders.filter((_, i) => states[i]!.acquired);
  expect(winners).toHaveLength(1);
  expect((await columns(c)).refresh_lease_holder).toBe(winners[0]);
  expect(states.every((s) => s!.credentials_version === 0)).toBe(true);

  expect(await releaseLease(database(), target, holders.find((h) => h !== winners[0])!)).toBe(false);
  expect(await releaseLease(database(), target, winners[0])).toBe(true);
  expect((await columns(c)).refresh_lease_holder).toBeNull();
});

test('a deleted connection, or one of another environment, is gone', async () => {
  const c = await connection();
  const prod = await environmentId('prod');
  expect((await rejection(refresher().refresh({ ...(await at(c, new Date())), row: { ...(await at(c, new Date())).row, environmentId: prod } }))).error).toBeInstanceOf(RefreshConnectionGoneError);
  expect((await t.api(`/connections/${c.connectionId}?provider_config_key=${PROVIDER}`, { method: 'DELETE' })).ok).toBe(true);
  expect((await rejection(refresher().refresh(await at(c, new Date())))).error).toBeInstanceOf(RefreshConnectionGoneError);
  expect(await auditActions(c)).toEqual([]);
});

test('a refresh that fails after someone saved newer credentials returns theirs: updated_elsewhere, no failure recorded', async () => {
  const c = await connection();
  const newer = `newer-imported-access-token-${randomUUID()}`;
  t.secrets.register(newer);
  const failAfterReimport: RefreshConnectionInput['refresh'] = async () => {
    // While our token request is out, an import replaces the credentials (credentials_version moves).
    await importOAuth2(t, PROVIDER, c.connectionId, { access_token: newer, refresh_token: OLD_RT, expires_at: new Date(Date.now() + 3600 * SECOND).toISOString() });
    throw new OAuthTokenError({ kind: 'server', host: '127.0.0.1', status: 503, providerError: 'temporarily_unavailable' });
  };
  const result = await refresher().refresh({ ...(await at(c, new Date())), refresh: failAfterReimport });
  expect(result.outcome).toBe('updated_elsewhere');
  expect(result.credentials).toMatchObject({ type: 'OAUTH2', access_token: newer });
  expect(result.credentialsVersion).toBe(1);
  expect(await columns(c)).toMatchObject({ refresh_failure_count: 0, refresh_backoff_until: null, last_refresh_failure_at: null, auth_error: null, refresh_lease_holder: null, credentials_version: 1 });
  expect(await auditActions(c)).toEqual([]);
  const outbox = await database().query<{ event_type: string; payload: Record<string, unknown> }>('SELECT event_type, payload FROM outbox WHERE connection_id = :id', { id: uuid(c.rowId) });
  expect(outbox.filter((row) => JSON.stringify(row.payload).includes('refresh'))).toEqual([]);
});

/** A token answer a test's own refresh function gives (registered as a secret). */
function answered(access: string): Awaited<ReturnType<NonNullable<RefreshConnectionInput['refresh']>>> {
  t.secrets.register(access);
  const credentials: OAuth2Credentials = { type: 'OAUTH2', access_token: access, refresh_token: OLD_RT, raw: {} };
  return { credentials, connectionConfig: {} };
}
const unavailable = () => new OAuthTokenError({ kind: 'server', host: '127.0.0.1', status: 503, providerError: 'temporarily_unavailable' });

test('callers in one process share its flight: one token request, two statements, one result', async () => {
  const c = await connection();
  raw.answer = ok('shared-flight-access-token');
  t.secrets.register('shared-flight-access-token');
  const input = await at(c, new Date());
  const coordinator = refresher();
  const requests = raw.requests.length;
  t.stack.dataApi.control.resetStats();
  const results = await Promise.all(Array.from({ length: 5 }, () => coordinator.refresh(input)));
  expect(raw.requests.length - requests).toBe(1);
  expect(dataApiCalls(t)).toBe(2);
  expect(new Set(results).size).toBe(1);
  expect(results[0].outcome).toBe('refreshed');
  expect(coordinator.inFlightCount).toBe(0);
});

test('due means expiring before now + the margin: 1 ms inside it is refreshed, exactly at its edge is not', async () => {
  const t0 = new Date();
  const margin = 60 * SECOND;
  const inside = await connection({ expires_at: new Date(t0.getTime() + margin - 1).toISOString() });
  const edge = await connection({ expires_at: new Date(t0.getTime() + margin).toISOString() });
  raw.answer = ok('inside-the-margin-access-token');
  t.secrets.register('inside-the-margin-access-token');
  expect((await refresher().refresh({ ...(await at(inside, t0)), marginMs: margin })).outcome).toBe('refreshed');
  expect((await refresher().refresh({ ...(await at(edge, t0)), marginMs: margin })).outcome).toBe('not_needed');
});

test('an answer without expires_in is stored without an expiry, and is not due again', async () => {
  const c = await connection();
  raw.answer = () => ({ status: 200, body: { access_token: 'no-expiry-access-token', token_type: 'Bearer' } });
  t.secrets.register('no-expiry-access-token');
  const result = await refresher().refresh(await at(c, new Date()));
  expect(result.outcome).toBe('refreshed');
  expect(result.credentials).not.toHaveProperty('expires_at');
  expect((await columns(c)).credentials_expires_at).toBeNull();
  expect((await auditActions(c))[0].detail).toMatchObject({ expires_at: null });
  expect((await refresher().refresh(await at(c, new Date()))).outcome).toBe('not_needed');
});

test('a provider configuration we cannot use, or an app the provider refuses, fail as their kind', async () => {
  const cases: Array<[Error, { kind: string; definitive: boolean; needsReauthorization: boolean }]> = [
    [new OAuthConfigError('token_url needs connectionConfig.subdomain'), { kind: 'config', definitive: false, needsReauthorization: false }],
    [new AppTokenError('app_refused', 'the installation is suspended'), { kind: 'invalid_grant', definitive: true, needsReauthorization: true }],
    [new AppTokenError('app_config', 'the app key is unusable'), { kind: 'config', definitive: false, needsReauthorization: false }],
  ];
  for (const [thrown, expected] of cases) {
    const c = await connection();
    const { error } = await rejection(refresher().refresh({ ...(await at(c, new Date(), true)), refresh: async () => Promise.reject(thrown) }));
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error).toMatchObject(expected);
    expect((await auditActions(c)).map((e) => e.detail)).toEqual([expect.objectContaining({ forced: true, kind: expected.kind, needs_reauthorization: expected.needsReauthorization })]);
  }
});

test("the token request sees the connection's config as stored, over the copy the caller read", async () => {
  const c = await connection();
  await database().execute(`UPDATE connections SET connection_config = '{"subdomain":"stored","region":"eu"}'::jsonb WHERE id = :id`, { id: uuid(c.rowId) });
  let seen: unknown;
  const input = await at(c, new Date());
  await refresher().refresh({
    ...input,
    row: { ...input.row, connectionConfig: { subdomain: 'read-earlier', tenant: 't1' } },
    refresh: async (_refreshToken, context) => {
      seen = context.connectionConfig;
      return answered('config-seen-access-token');
    },
  });
  expect(seen).toEqual({ subdomain: 'stored', region: 'eu', tenant: 't1' });
});

test('a connection deleted while its token request is out is gone, whether the request worked or failed', async () => {
  for (const outcome of ['worked', 'failed'] as const) {
    const c = await connection();
    const deleting: RefreshConnectionInput['refresh'] = async () => {
      expect((await t.api(`/connections/${c.connectionId}?provider_config_key=${PROVIDER}`, { method: 'DELETE' })).ok).toBe(true);
      if (outcome === 'failed') throw unavailable();
      return answered(`too-late-access-token-${randomUUID()}`);
    };
    expect((await rejection(refresher().refresh({ ...(await at(c, new Date())), refresh: deleting }))).error).toBeInstanceOf(RefreshConnectionGoneError);
    expect(await auditActions(c)).toEqual([]);
  }
});

test('a statement that fails after the token request surfaces, and gives the lease back: saving, or recording the failure', async () => {
  for (const outcome of ['worked', 'failed'] as const) {
    const c = await connection();
    const thenTheDatabaseFails: RefreshConnectionInput['refresh'] = async () => {
      t.stack.dataApi.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'BadRequestException', message: 'injected failure' }, times: 1 });
      if (outcome === 'failed') throw unavailable();
      return answered(`unsaved-access-token-${randomUUID()}`);
    };
    const { error } = await rejection(refresher().refresh({ ...(await at(c, new Date())), refresh: thenTheDatabaseFails }));
    expect(error.message).toContain('injected failure');
    expect(await columns(c)).toMatchObject({ refresh_lease_holder: null, refresh_lease_until: null, credentials_version: 0, refresh_failure_count: 0 });
    expect(await auditActions(c)).toEqual([]);
  }
});

test('credentials that cannot be opened: the error surfaces, the lease is given back, nothing is recorded', async () => {
  const [c, other] = [await connection(), await connection()];
  // Authentic ciphertext, but bound to another row.
  await database().execute('UPDATE connections SET credentials = (SELECT credentials FROM connections WHERE id = :other) WHERE id = :id', { other: uuid(other.rowId), id: uuid(c.rowId) });
  const requests = raw.requests.length;
  const { error } = await rejection(refresher().refresh(await at(c, new Date())));
  expect(error).toBeInstanceOf(UnreadableCredentialsError);
  expect(raw.requests.length).toBe(requests);
  expect(await columns(c)).toMatchObject({ refresh_lease_holder: null, refresh_failure_count: 0 });
  expect(await auditActions(c)).toEqual([]);
});

test('releasing the lease and reading the state are sent again when their answer is lost: both are safe to repeat', async () => {
  const { env } = t.stack;
  const proxy = await startLossyProxy(Number(new URL(env.AWS_ENDPOINT_URL_RDS_DATA).port));
  try {
    // A client of its own per call: the proxy loses the answers of new connections, not of kept-alive ones.
    const lossy = () =>
      new DataApi(
        { resourceArn: env.LATCHKEY_DB_CLUSTER_ARN, secretArn: env.LATCHKEY_DB_SECRET_ARN, database: env.LATCHKEY_DB_NAME },
        createRdsDataClient({ endpoint: proxy.url }),
        { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      );
    const c = await connection();
    const target = { rowId: c.rowId, environmentId: c.environmentId };
    const holder = randomUUID();
    expect((await tryAcquireLease(database(), target, holder, new Date(), 60_000, { force: true, refreshBefore: null }))?.acquired).toBe(true);
    proxy.loseAnswers(1);
    // The first release ran and its answer was lost; the second finds the lease already free.
    await releaseLease(lossy(), target, holder);
    expect((await columns(c)).refresh_lease_holder).toBeNull();
    proxy.loseAnswers(1);
    expect(await readRefreshState(lossy(), target)).toMatchObject({ id: c.rowId, credentials_version: 0, refresh_lease_holder: null });
  } finally {
    await proxy.close();
  }
});
