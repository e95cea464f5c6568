import { database, envelopeCipher } from '../../support/handles';
import { randomUUID } from 'node:crypto';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { SWEEPS } from '../../../lambdas/sweeps/registry';
import { SCHEDULES } from '../../../lib/topology';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { auditActions, columns, importOAuth2, oauthIntegration, startRawTokenServer, type Imported, type RawTokenServer } from '../connections/refresh/refresh-fixtures';

/** The proactive-refresh sweep: what it refreshes ahead of time, what it leaves alone, and how often it looks. */

let t: TestStack;
let raw: RawTokenServer;
const PROVIDER = 'raw-sweep';
const CLIENT = { client_id: 'sweep-client', client_secret: 'sweep-client-secret-value' };
const MIN = 60_000;
const HOUR = 60 * MIN;
const sweep = (now: Date) => SWEEPS['proactive-refresh'](database(), now, { batchSize: 500, deadline: Date.now() + 10_000 }, envelopeCipher());

beforeAll(async () => {
  [t, raw] = await Promise.all([startTestStack(), startRawTokenServer()]);
  t.secrets.register(CLIENT.client_secret);
  await oauthIntegration(t, PROVIDER, raw.url, CLIENT);
  raw.answer = () => {
    const token = `swept-access-${randomUUID()}`;
    t.secrets.register(token);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 3600 } };
  };
});
afterAll(async () => {
  await raw?.stop();
  await t?.stop();
});

async function connection(id: string, credentials: { refresh_token?: string; expires_at?: string }): Promise<Imported> {
  const access = `sweep-access-${id}-${randomUUID()}`;
  t.secrets.register(access);
  if (credentials.refresh_token) t.secrets.register(credentials.refresh_token);
  return importOAuth2(t, PROVIDER, id, { access_token: access, ...credentials });
}

test('is scheduled every 5 minutes on the sweeps function', () => {
  expect(SCHEDULES.find((s) => s.name === 'proactive-refresh')).toMatchObject({ expression: 'cron(3/5 * * * ? *)', function: 'sweeps', input: { sweep: 'proactive-refresh' } });
});

test('refreshes tokens about to expire; idle and expiry-less ones once a day; leaves the rest alone', async () => {
  const now = new Date();
  const soon = await connection('soon', { refresh_token: 'rt-soon-0000000001', expires_at: new Date(now.getTime() + 10 * MIN).toISOString() });
  const later = await connection('later', { refresh_token: 'rt-later-000000001', expires_at: new Date(now.getTime() + 5 * HOUR).toISOString() });
  const endless = await connection('endless', { refresh_token: 'rt-endless-0000001' });
  const noRefresh = await connection('no-refresh', {});
  const broken = await connection('broken', { refresh_token: 'rt-broken-00000001', expires_at: new Date(now.getTime() + 5 * MIN).toISOString() });
  await database().execute(`UPDATE connections SET auth_error = '{"type":"refresh"}'::jsonb WHERE id = :id`, { id: uuid(broken.rowId) });

  let requests = raw.requests.length;
  expect(await sweep(now)).toMatchObject({ refreshesSucceeded: 1, refreshesFailed: 0, refreshBudgetExhausted: 0 });
  expect(raw.requests.length - requests).toBe(1);
  expect(raw.requests.at(-1)!.get('refresh_token')).toBe('rt-soon-0000000001');
  expect((await columns(soon)).credentials_version).toBe(1);
  expect((await auditActions(soon)).map((a) => a.action)).toEqual(['connection.refresh.success']);
  for (const c of [later, endless, noRefresh, broken]) expect((await columns(c)).credentials_version).toBe(0);

  // Five minutes on: nothing is due, and nothing is re-read.
  requests = raw.requests.length;
  expect(await sweep(new Date(now.getTime() + 5 * MIN))).toMatchObject({ refreshCandidates: 0, refreshesSucceeded: 0 });
  expect(raw.requests.length).toBe(requests);

  // A day on, nobody read them: the idle one and the expiry-less one are refreshed (keeps their
  // refresh tokens alive), the one without a refresh token is checked and left for a day.
  const dayLater = new Date(now.getTime() + 25 * HOUR);
  expect(await sweep(dayLater)).toMatchObject({ refreshesSucceeded: 3, refreshesFailed: 0 });
  for (const c of [soon, later, endless]) expect((await columns(c)).credentials_version).toBeGreaterThanOrEqual(1);
  expect((await columns(endless)).credentials_version).toBe(1);
  expect((await columns(noRefresh)).credentials_version).toBe(0);
  expect((await columns(broken)).credentials_version).toBe(0);
  requests = raw.requests.length;
  expect(await sweep(new Date(dayLater.getTime() + 5 * MIN))).toMatchObject({ refreshesSucceeded: 0 });
  expect(raw.requests.length).toBe(requests);
  const [run] = await database().query<{ detail: Record<string, unknown> }>("SELECT detail FROM audit_events WHERE action = 'refresh.sweep' ORDER BY occurred_at LIMIT 1");
  expect(run.detail).toMatchObject({ refreshed: 1, failed: 0 });
});

test('client-credentials tokens are left to reads: renewing them ahead of time buys nothing', async () => {
  const put = await t.api('/providers/raw-cc', { method: 'PUT', json: { display_name: 'raw cc', auth_mode: 'OAUTH2_CC', allow_private_network: true, token_url: raw.url } });
  expect([200, 201]).toContain(put.status);
  expect((await t.api('/integrations', { method: 'POST', json: { provider: 'raw-cc', unique_key: 'raw-cc' } })).status).toBe(200);
  const now = new Date();
  const token = `cc-token-${randomUUID()}`;
  t.secrets.register(token);
  const res = await t.api('/connections', {
    method: 'POST',
    json: { provider_config_key: 'raw-cc', connection_id: 'cc-soon', credentials: { type: 'OAUTH2_CC', token, client_id: 'cc-client', client_secret: CLIENT.client_secret, expires_at: new Date(now.getTime() + 5 * MIN).toISOString() } },
  });
  expect(res.status).toBe(201);
  const requests = raw.requests.length;
  await sweep(now);
  expect(raw.requests.length).toBe(requests);
  const [row] = await database().query<{ credentials_version: number }>("SELECT credentials_version FROM connections WHERE connection_id = 'cc-soon'");
  expect(row.credentials_version).toBe(0);
});

test('a refresh that fails is left to its cooldown: looked at again once the cooldown ends', async () => {
  const now = new Date();
  const failing = await connection('failing', { refresh_token: 'rt-failing-0000001', expires_at: new Date(now.getTime() + 5 * MIN).toISOString() });
  const answer = raw.answer;
  raw.answer = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
  try {
    expect(await sweep(now)).toMatchObject({ refreshesFailed: 1 });
  } finally {
    raw.answer = answer;
  }
  const row = await columns(failing);
  expect(row.refresh_check_after).toBeNull();
  // The cooldown counts from the failure (the sweep's clock, moved on by the time the run took).
  expect(row.refresh_backoff_until!.getTime() - now.getTime()).toBeGreaterThanOrEqual(30_000);
  expect(row.refresh_backoff_until!.getTime() - now.getTime()).toBeLessThan(50_000);
  const tried = () => raw.requests.filter((form) => form.get('refresh_token') === 'rt-failing-0000001').length;
  expect(tried()).toBe(1);
  await sweep(new Date(now.getTime() + 25_000));
  expect(tried()).toBe(1);
  await sweep(new Date(now.getTime() + 60_000));
  expect(tried()).toBe(2);
  expect((await columns(failing)).credentials_version).toBe(1);
});
