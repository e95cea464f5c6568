import { database, envelopeCipher } from '../../../support/handles';
import { randomUUID } from 'node:crypto';
import { RefreshCoordinator, type RefreshConnectionInput } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { RefreshBackoffError, RefreshConnectionGoneError, RefreshExhaustedError, RefreshFailedError } from '../../../../lambdas/connections/refresh/refresh-errors';
import { answerFor } from '../../../../lambdas/http/error-table';
import { releaseLease, tryAcquireLease } from '../../../../lambdas/connections/refresh/refresh-lease-store';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { OAuthTokenError } from '../../../../lambdas/oauth/token-response';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { environmentId } from '../fixtures';
import { auditActions, columns, importOAuth2, inputFor, oauthIntegration, PAST, rejection, startRawTokenServer, type Imported, type RawTokenServer } from './refresh-fixtures';

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
const refresher = () => {
  let elapsed = 0;
  return new RefreshCoordinator({ timer: { now: () => elapsed, sleep: async (ms) => void (elapsed += ms) } });
};
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
});

test('503: failure recorded with backoff, no auth_error; within backoff no provider call; force bypasses; success resets', async () => {
  const c = await connection();
  const t0 = new Date();
  raw.answer = status(503);
  const count = raw.requests.length;

  const first = await rejection(refresher().refresh(await at(c, t0)));
  expect(first.error).toBeInstanceOf(RefreshFailedError);
  expect(first.error).toMatchObject({ kind: 'server', status: 503, definitive: false, needsReauthorization: false, providerError: 'temporarily_unavailable' });
  let row = await columns(c);
  expect(row).toMatchObject({ refresh_failure_count: 1, auth_error: null, refresh_lease_holder: null, credentials_version: 0 });
  const backoff = row.refresh_backoff_until!.getTime() - t0.getTime();
  expect(backoff).toBe(30 * SECOND);
  expect(row.last_refresh_failure_at).toBeInstanceOf(Date);

  const within = await rejection(refresher().refresh(await at(c, new Date(t0.getTime() + 5 * SECOND))));
  expect(within.error).toBeInstanceOf(RefreshBackoffError);
  expect(within.error).toMatchObject({ reason: 'connection_refresh_backoff', retryAt: row.refresh_backoff_until });
  expect(answerFor(within.error as RefreshBackoffError)).toMatchObject({ statusCode: 424, code: 'invalid_credentials' });
  expect(raw.requests.length - count).toBe(1);

  // After the cooldown: tried again, cooldown doubles.
  await rejection(refresher().refresh(await at(c, new Date(t0.getTime() + 31 * SECOND))));
  row = await columns(c);
  expect(row.refresh_failure_count).toBe(2);
  expect(row.refresh_backoff_until!.getTime() - t0.getTime()).toBeGreaterThanOrEqual(91 * SECOND);
  expect(raw.requests.length - count).toBe(2);

  // Forced: the provider is asked despite the cooldown; it works now.
  raw.answer = ok('new-access-token-value-e1', { refresh_token: 'rotated-refresh-token-e1' });
  t.secrets.register('new-access-token-value-e1', 'rotated-refresh-token-e1');
  const forced = await refresher().refresh(await at(c, new Date(t0.getTime() + 32 * SECOND), true));
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
  const hooks = await database().query<{ payload: Record<string, unknown> }>("SELECT payload FROM outbox WHERE connection_id = :id AND event_type = 'auth' ORDER BY created_at", { id: uuid(c.rowId) });
  expect(hooks.map((h) => h.payload)).toEqual([
    expect.objectContaining({ operation: 'refresh', success: false, error: { type: 'refresh_token_external_error', description: expect.stringMatching(/\(HTTP 503\)$/) } }),
    expect.objectContaining({ operation: 'refresh', success: true }),
  ]);
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
  const { error } = await rejection(refresher().refresh({ ...(await at(c, new Date())), refresh: async () => Promise.reject(boom) }));
  expect(error).toBe(boom);
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
