import { database, envelopeCipher } from '../../../support/handles';
import { randomUUID } from 'node:crypto';
import { RefreshBusyError, RefreshExhaustedError, RefreshFailedError } from '../../../../lambdas/connections/refresh/refresh-errors';
import { defaultRefresh, RefreshCoordinator, type RefreshFunction, type RefreshResult } from '../../../../lambdas/connections/refresh/refresh-coordinator';
import { tryAcquireLease } from '../../../../lambdas/connections/refresh/refresh-lease-store';
import { saveRefreshed } from '../../../../lambdas/connections/refresh/refresh-store';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../../support/oauth-server';
import { auditActions, columns, dataApiCalls, importOAuth2, initialTokens, inputFor, oauthIntegration, PAST, rejection, virtualTimer, type Imported } from './refresh-fixtures';

/**
 * Single flight against the REAL authorization server (oidc-provider, refresh tokens rotate on
 * every use): a second use of a refresh token would fail with invalid_grant, so "no failure"
 * proves that nobody spent the same refresh token twice.
 */

let t: TestStack;
let server: OAuthServer;
const PROVIDER = 'oidc-test';

beforeAll(async () => {
  [t, server] = await Promise.all([startTestStack(), startOAuthServer()]);
  t.secrets.register(server.clients.post.client_secret);
  await oauthIntegration(t, PROVIDER, server.tokenUrl, server.clients.post);
});
afterAll(async () => {
  await server?.stop();
  await t?.stop();
});

/** Counts token requests (and their failures) while making the real ones. */
function counting(): { refresh: RefreshFunction; calls: number; failures: unknown[] } {
  const counter = {
    calls: 0,
    failures: [] as unknown[],
    refresh: (async (refreshToken, context) => {
      counter.calls += 1;
      try {
        const result = await defaultRefresh(refreshToken, context);
        t.secrets.register(result.credentials.access_token, result.credentials.refresh_token ?? '');
        return result;
      } catch (err) {
        counter.failures.push(err);
        throw err;
      }
    }) as RefreshFunction,
  };
  return counter;
}

/** A connection holding a live token pair of the real server, expired as far as we know. */
async function expiredConnection(connectionId: string): Promise<{ c: Imported; tokens: { access_token: string; refresh_token: string } }> {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, PROVIDER, connectionId, { ...tokens, expires_at: PAST });
  return { c, tokens };
}

const input = (c: Imported, extra: { force?: boolean; refresh?: RefreshFunction; now?: Date } = {}) =>
  inputFor(c, PROVIDER, server.clients.post, extra.now).then((i) => ({ ...i, force: extra.force, refresh: extra.refresh }));

test('10 concurrent callers on two instances: ONE token request, everybody gets the same new token', async () => {
  const { c, tokens } = await expiredConnection('race-1');
  const counter = counting();
  const [a, b] = [new RefreshCoordinator(), new RefreshCoordinator()];
  // The version the callers read (an import starts at 0), so no caller mistakes the winner's save for its own starting point.
  const base = await input(c, { refresh: counter.refresh }).then((i) => ({ ...i, row: { ...i.row, credentialsVersion: 0 } }));
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).refresh(base)));

  expect(counter.calls).toBe(1);
  expect(counter.failures).toEqual([]);
  const accessTokens = new Set(results.map((r) => (r.credentials as { access_token: string }).access_token));
  expect(accessTokens.size).toBe(1);
  expect(accessTokens.has(tokens.access_token)).toBe(false);
  // The instance that won coalesced its callers; the other instance's callers read the winner's save.
  expect(new Set(results.map((r) => r.outcome))).toEqual(new Set(['refreshed', 'updated_elsewhere']));
  expect(new Set(results.map((r) => r.credentialsVersion)).size).toBe(1);
  expect(a.inFlightCount + b.inFlightCount).toBe(0);

  const row = await columns(c);
  expect(row).toMatchObject({ credentials_version: 1, refresh_lease_holder: null, refresh_lease_until: null, refresh_failure_count: 0, auth_error: null });
  expect(row.last_refresh_success_at).toBeInstanceOf(Date);
  expect(row.credentials_expires_at!.getTime()).toBeGreaterThan(Date.now() + 50 * 60_000);
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.success', outcome: 'success' })]);

  // A caller still holding version 0 gets the newer credentials rather than a second refresh.
  expect((await new RefreshCoordinator().refresh({ ...base, force: true })).outcome).toBe('updated_elsewhere');
  // The stored refresh token is the rotated, live one: a forced refresh with it works.
  const again = await new RefreshCoordinator().refresh({ ...base, force: true, row: { ...base.row, credentialsVersion: 1 } });
  expect(again.outcome).toBe('refreshed');
  expect(counter.calls).toBe(2);
  expect(counter.failures).toEqual([]);
  // So does one still holding version 1, and it takes no lease: the lease is only taken on the version the caller read.
  expect((await new RefreshCoordinator().refresh({ ...base, force: true, row: { ...base.row, credentialsVersion: 1 } })).outcome).toBe('updated_elsewhere');
  expect((await columns(c)).refresh_lease_holder).toBeNull();
  expect(counter.calls).toBe(2);
  expect(await auditActions(c)).toHaveLength(2);
});

test('forced refreshes are single-flight too; a fresh token is ONE statement and no provider call', async () => {
  const { c } = await expiredConnection('race-2');
  const counter = counting();
  const base = await input(c, { refresh: counter.refresh });
  const [a, b] = [new RefreshCoordinator(), new RefreshCoordinator()];
  await a.refresh(base);
  expect(counter.calls).toBe(1);

  t.stack.dataApi.control.resetStats();
  const fresh = await a.refresh(base);
  expect(fresh.outcome).toBe('not_needed');
  expect(dataApiCalls(t)).toBe(1);
  expect(counter.calls).toBe(1);

  // A refresh that is due: lease + save, two statements.
  t.stack.dataApi.control.resetStats();
  await a.refresh({ ...base, force: true });
  expect(dataApiCalls(t)).toBe(2);

  const forced = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? b : a).refresh({ ...base, force: true, row: { ...base.row, credentialsVersion: 2 } })));
  expect(counter.calls).toBe(3);
  expect(counter.failures).toEqual([]);
  expect(new Set(forced.map((r) => (r.credentials as { access_token: string }).access_token)).size).toBe(1);
  expect((await columns(c)).credentials_version).toBe(3);
});

test('a holder that dies blocks the others only until its lease expires', async () => {
  const { c } = await expiredConnection('dead-holder');
  const t0 = new Date();
  const dead = await tryAcquireLease(database(), { rowId: c.rowId, environmentId: c.environmentId }, randomUUID(), t0, 1_500, { force: true, refreshBefore: null });
  expect(dead?.acquired).toBe(true);
  const counter = counting();
  const base = await input(c, { refresh: counter.refresh, now: t0 });
  // Waiting less than the lease lasts: busy, and the provider was not called.
  const short = virtualTimer();
  const busy = await rejection(new RefreshCoordinator({ waitMs: 300, timer: short }).refresh(base));
  expect(busy.error).toBeInstanceOf(RefreshBusyError);
  expect(short.elapsed).toBeLessThanOrEqual(300);
  expect(counter.calls).toBe(0);

  // Waiting longer: the lease runs out at 1.5 s and the next poll (at most 500 ms apart) takes it over.
  const long = virtualTimer();
  const result = await new RefreshCoordinator({ waitMs: 5_000, timer: long }).refresh(base);
  expect(result.outcome).toBe('refreshed');
  expect(long.elapsed).toBeGreaterThanOrEqual(1_500);
  expect(long.elapsed).toBeLessThanOrEqual(2_000);
  expect(counter.calls).toBe(1);
  expect((await columns(c)).refresh_lease_holder).toBeNull();
});

test('a waiting caller polls at 100 ms, growing ×1.5 up to 500 ms, and stops before its wait would pass waitMs', async () => {
  const { c } = await expiredConnection('poll-schedule');
  const t0 = new Date();
  // A cooldown that ends at this very instant does not stop a caller from waiting for the holder.
  await database().execute('UPDATE connections SET refresh_backoff_until = :t0 WHERE id = :id', { t0, id: uuid(c.rowId) });
  const other = await tryAcquireLease(database(), { rowId: c.rowId, environmentId: c.environmentId }, randomUUID(), t0, 60_000, { force: true, refreshBefore: null });
  expect(other?.acquired).toBe(true);
  const counter = counting();
  const base = await input(c, { refresh: counter.refresh, now: t0 });

  const two = virtualTimer();
  expect((await rejection(new RefreshCoordinator({ waitMs: 2_000, timer: two }).refresh(base))).error).toBeInstanceOf(RefreshBusyError);
  expect(two.sleeps).toEqual([100, 150, 225, 338, 500, 500]);
  // A poll that would end exactly at waitMs still happens.
  const edge = virtualTimer();
  expect((await rejection(new RefreshCoordinator({ waitMs: 250, timer: edge }).refresh(base))).error).toBeInstanceOf(RefreshBusyError);
  expect(edge.sleeps).toEqual([100, 150]);
  // By default a caller waits as long as a holder's token request may take (10 s) and 2 s more.
  const byDefault = virtualTimer();
  expect((await rejection(new RefreshCoordinator({ timer: byDefault }).refresh(base))).error).toBeInstanceOf(RefreshBusyError);
  expect(byDefault.elapsed).toBeGreaterThan(12_000 - 500);
  expect(byDefault.elapsed).toBeLessThanOrEqual(12_000);
  expect(counter.calls).toBe(0);
});

test('the lease lasts leaseTtlMs, and the token request may take at most half of it', async () => {
  const { c } = await expiredConnection('lease-length');
  const t0 = new Date();
  const seen: { timeoutMs?: number; leaseMs: number }[] = [];
  const counter = counting();
  const observing: RefreshFunction = async (refreshToken, context) => {
    const { refresh_lease_until } = await columns(c);
    seen.push({ timeoutMs: context.timeoutMs, leaseMs: refresh_lease_until!.getTime() - t0.getTime() });
    return counter.refresh(refreshToken, context);
  };
  // A clock that stands still: the lease is taken at exactly t0.
  const still = { now: () => 0, sleep: async () => undefined };
  const base = await input(c, { refresh: observing, now: t0 });
  await new RefreshCoordinator({ leaseTtlMs: 4_000, timer: still }).refresh(base);
  await new RefreshCoordinator({ timer: still }).refresh({ ...base, force: true });
  expect(seen).toEqual([
    { timeoutMs: 2_000, leaseMs: 4_000 },
    { timeoutMs: 10_000, leaseMs: 20_000 },
  ]);
});

test('a forced caller does not settle for the "not needed" of an unforced flight in progress', async () => {
  const tokens = await initialTokens(server, server.clients.post);
  t.secrets.register(tokens.access_token, tokens.refresh_token);
  const c = await importOAuth2(t, PROVIDER, 'forced-joins', { ...tokens, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
  const counter = counting();
  const base = await input(c, { refresh: counter.refresh });
  const coordinator = new RefreshCoordinator();
  const [due, forced] = await Promise.all([coordinator.refresh(base), coordinator.refresh({ ...base, force: true })]);
  expect([due.outcome, forced.outcome]).toEqual(['not_needed', 'refreshed']);
  expect(counter.calls).toBe(1);
});

test('a stale writer never overwrites newer credentials', async () => {
  const { c } = await expiredConnection('stale');
  const cipher = envelopeCipher();
  const target = { rowId: c.rowId, environmentId: c.environmentId };
  const before = await columns(c);

  // Direct: a save expecting an older version changes nothing and writes no audit event.
  const stale = await saveRefreshed(database(), target, randomUUID(), before.credentials_version - 1, { envelope: Buffer.from('x'), expiresAt: null, connectionConfig: {} }, new Date(), {
    environmentId: c.environmentId, actor: { type: 'system', id: null }, action: 'connection.refresh.success', targetType: 'connection', targetId: c.rowId, outcome: 'success', request: { requestId: null, sourceIp: null, userAgent: null },
  });
  expect(stale).toBeUndefined();
  expect(await columns(c)).toEqual(before);

  // Through the coordinator: an import lands while the token request is in flight; its credentials win.
  const counter = counting();
  const racing: RefreshFunction = async (refreshToken, context) => {
    const result = await counter.refresh(refreshToken, context);
    await importOAuth2(t, PROVIDER, 'stale', { access_token: 'imported-while-refreshing', refresh_token: 'imported-refresh-token', expires_at: '2099-01-01T00:00:00.000Z' });
    return result;
  };
  t.secrets.register('imported-refresh-token');
  const result: RefreshResult = await new RefreshCoordinator().refresh(await input(c, { refresh: racing }));
  expect(result.outcome).toBe('updated_elsewhere');
  expect(result.credentials).toMatchObject({ access_token: 'imported-while-refreshing', refresh_token: 'imported-refresh-token' });
  const after = await columns(c);
  expect(after.credentials_version).toBe(before.credentials_version + 1);
  expect(await cipher.decryptJson(after.credentials, { environmentId: c.environmentId, purpose: 'connection-credentials', table: 'connections', rowId: c.rowId, field: 'credentials' })).toMatchObject({
    access_token: 'imported-while-refreshing',
  });
  expect(after.refresh_lease_holder).toBeNull();
  expect(await auditActions(c)).toEqual([]);
});

test('invalid_client from the real server is definitive: auth_error set, one failure event, no secret in the error', async () => {
  const { c } = await expiredConnection('wrong-client');
  const base = await input(c);
  const wrong = { client_id: server.clients.post.client_id, client_secret: 'wrong-secret-value-123' };
  t.secrets.register(wrong.client_secret);
  const { error, text } = await rejection(new RefreshCoordinator().refresh({ ...base, integrationSecrets: wrong }));
  expect(error).toBeInstanceOf(RefreshFailedError);
  expect(error).toMatchObject({ kind: 'invalid_client', definitive: true, needsReauthorization: true, status: 401, reason: 'refresh_token_external_error' });
  for (const secret of [wrong.client_secret, server.clients.post.client_secret, ...(await tokensOf(c))]) expect(text).not.toContain(secret);

  const row = await columns(c);
  expect(row.auth_error).toMatchObject({ type: 'refresh', kind: 'invalid_client', status: 401, provider_error: 'invalid_client' });
  expect(row.refresh_lease_holder).toBeNull();
  expect(await auditActions(c)).toEqual([expect.objectContaining({ action: 'connection.refresh.failure', outcome: 'failure', detail: expect.objectContaining({ kind: 'invalid_client', needs_reauthorization: true }) })]);

  // Not forced: needs reauthorization, no attempt. Forced (with the right client): it recovers and clears the error.
  expect((await rejection(new RefreshCoordinator().refresh(base))).error).toBeInstanceOf(RefreshExhaustedError);
  expect((await new RefreshCoordinator().refresh({ ...base, force: true })).outcome).toBe('refreshed');
  expect((await columns(c)).auth_error).toBeNull();
  expect((await auditActions(c)).map((e) => e.action)).toEqual(['connection.refresh.failure', 'connection.refresh.success']);
});

async function tokensOf(c: Imported): Promise<string[]> {
  const creds = await envelopeCipher().decryptJson<{ access_token: string; refresh_token: string }>((await columns(c)).credentials, {
    environmentId: c.environmentId, purpose: 'connection-credentials', table: 'connections', rowId: c.rowId, field: 'credentials',
  });
  return [creds.access_token, creds.refresh_token];
}
