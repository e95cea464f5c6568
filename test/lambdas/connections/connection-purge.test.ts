import { database } from '../../support/handles';
import { stdoutJsonLines } from '../../support/stdout-lines';
import { SYSTEM_REQUEST, type AuditBase } from '../../../lambdas/audit/audit-event';
import { purgeConnection } from '../../../lambdas/connections/connection-purge';
import { deleteConnectionRow, erasePersonalData } from '../../../lambdas/connections/connection-delete-store';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { importForEndUser } from '../../support/end-user-connections';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { environmentId, insertIntegration } from './fixtures';

/**
 * purgeConnection and erasePersonalData in the test's own process (the API route is tested in
 * routes/records.test.ts and security/purge-erasure.test.ts): what a purge erases, what it keeps,
 * and what it leaves alone. Connections and sessions are set up through the API.
 */

let t: TestStack;
let devId: string;
let prodId: string;
const EMAIL = 'erin.example@example.com';
const NAME = 'Erin Example-Person';
// Bounded in batches too: a purge that would never stop ends at once, unfinished, rather than at the deadline.
const budget = () => ({ batchSize: 500, deadline: Date.now() + 60_000, maxBatches: 200 });

beforeAll(async () => {
  t = await startTestStack();
  devId = await environmentId('dev');
  prodId = await environmentId('prod');
  await insertIntegration('dev', 'openai', 'openai');
  // Only the toggle: the event is written (no URL, so nothing is sent anywhere).
  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_on_connection_deleted: true } })).status).toBe(200);
});
afterAll(() => t.stop());

const key = (connectionId: string, providerConfigKey = 'openai') => ({ environmentId: devId, providerConfigKey, connectionId });
const base: AuditBase = { environmentId: '', actor: { type: 'system', id: 'purge-test' }, request: SYSTEM_REQUEST, outcome: 'success' };
const purge = (connectionId: string) => purgeConnection(database(), key(connectionId), new Date(), budget(), { ...base, environmentId: devId });
const importFor = (connectionId: string, endUserId: string) => importForEndUser(t, connectionId, { id: endUserId, email: EMAIL, display_name: NAME });

async function count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const [row] = await database().query<{ n: number }>(`SELECT (${sql})::int AS n`, params as never);
  return row.n;
}

/** An outbox row (a webhook body) written straight to the table, as another event type would leave it. */
async function outboxBody(env: string, payload: Record<string, unknown>): Promise<string> {
  const [row] = await database().query<{ id: string }>("INSERT INTO outbox (environment_id, event_type, payload, status) VALUES (:env, 'auth', CAST(:payload AS jsonb), 'delivered') RETURNING id", {
    env: uuid(env),
    payload: JSON.stringify(payload),
  });
  return row.id;
}

async function auditDetail(env: string, detail: Record<string, unknown>): Promise<string> {
  const [row] = await database().query<{ id: string }>("INSERT INTO audit_events (environment_id, actor_type, action, outcome, detail) VALUES (:env, 'system', 'probe', 'success', CAST(:detail AS jsonb)) RETURNING id", {
    env: uuid(env),
    detail: JSON.stringify(detail),
  });
  return row.id;
}

const payloadOf = async (id: string) => (await database().query<{ payload: Record<string, unknown> }>('SELECT payload FROM outbox WHERE id = :id', { id: uuid(id) }))[0].payload;
const detailOf = async (id: string) => (await database().query<{ detail: Record<string, unknown> }>('SELECT detail FROM audit_events WHERE id = :id', { id: uuid(id) }))[0].detail;

test('a purge erases the connection, earlier soft-deleted rows with its ids and its end user, and pseudonymises what outlives them', async () => {
  await importFor('c-erin', 'eu-erin');
  // A plain delete first (its connection.deleted webhook still pending), then the same ids again.
  expect((await t.api('/connections/c-erin?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  await importFor('c-erin', 'eu-erin');
  // A live connect session names the end user: a purge erases it all the same, ending the session.
  const session = await readJson(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'eu-erin', email: EMAIL, display_name: NAME } } }));
  expect(session.status).toBe(201);
  t.secrets.register(session.body.data.token);
  const rows = await database().query<{ id: string; live: boolean }>("SELECT id, deleted_at IS NULL AS live FROM connections WHERE connection_id = 'c-erin' ORDER BY id::text");
  expect(rows).toHaveLength(2);
  const live = rows.find((r) => r.live)!.id;

  expect(await purge('c-erin')).toBe('purged');

  expect(await count("SELECT count(*) FROM connections WHERE connection_id = 'c-erin'")).toBe(0);
  expect(await count("SELECT count(*) FROM end_users WHERE end_user_id = 'eu-erin'")).toBe(0);
  expect(await count("SELECT count(*) FROM connect_sessions s JOIN end_users e ON e.id = s.end_user_id WHERE e.end_user_id = 'eu-erin'")).toBe(0);
  const bodies = await database().query<{ payload: { endUser: Record<string, unknown>; tags: Record<string, unknown> } }>(
    "SELECT payload FROM outbox WHERE event_type = 'connection.deleted' AND payload->>'connectionId' = 'c-erin'",
  );
  // Both deletions' webhooks outlive the rows, the ids kept, the e-mail and name erased.
  expect(bodies).toHaveLength(2);
  for (const { payload } of bodies) {
    expect(payload.endUser).toMatchObject({ endUserId: 'eu-erin', endUserEmail: '[erased]' });
    expect(payload.tags).toMatchObject({ end_user_id: 'eu-erin', end_user_email: '[erased]', end_user_display_name: '[erased]' });
  }
  // The purge's own events, each naming the row it acted on: the live row's delete, one hard delete per row, one purge mark.
  const audit = await database().query<{ action: string; target_id: string; detail: Record<string, unknown> }>(
    "SELECT action, target_id, detail FROM audit_events WHERE detail->>'connection_id' = 'c-erin' AND actor_id = 'purge-test' ORDER BY action, target_id",
  );
  expect(audit).toEqual([
    { action: 'connection.delete', target_id: live, detail: expect.objectContaining({ provider_config_key: 'openai' }) },
    ...rows.map((r) => ({ action: 'connection.hard_delete', target_id: r.id, detail: expect.objectContaining({ provider_config_key: 'openai', reason: 'purge' }) })),
    { action: 'connection.purge', target_id: rows[0].id, detail: expect.objectContaining({ provider_config_key: 'openai' }) },
  ]);
  const all = JSON.stringify([await database().query('SELECT payload FROM outbox'), await database().query('SELECT detail FROM audit_events'), await database().query('SELECT * FROM end_users')]);
  expect(all).not.toContain(EMAIL);
  expect(all).not.toContain(NAME);
});

test("the row's own delete counts against the budget: with one batch, a purge without records is pending", async () => {
  await importFor('c-tight', 'eu-tight');
  expect(await purgeConnection(database(), key('c-tight'), new Date(), { ...budget(), maxBatches: 1 }, { ...base, environmentId: devId })).toBe('pending');
  // Invisible, and still there for the sweep to finish.
  expect(await count("SELECT count(*) FROM connections WHERE connection_id = 'c-tight' AND deleted_at IS NOT NULL AND purge_requested_at IS NOT NULL")).toBe(1);
  expect(await purgeConnection(database(), key('c-tight'), new Date(), { ...budget(), maxBatches: 2 }, { ...base, environmentId: devId })).toBe('purged');
  expect(await count("SELECT count(*) FROM connections WHERE connection_id = 'c-tight'")).toBe(0);
});

test('an unknown connection is unknown_connection, with nothing marked or audited', async () => {
  const before = await count("SELECT count(*) FROM audit_events WHERE action = 'connection.purge'");
  expect(await purge('c-never')).toBe('unknown_connection');
  expect(await count("SELECT count(*) FROM audit_events WHERE action = 'connection.purge'")).toBe(before);
});

test('another connection of the same person keeps its end user and its e-mail', async () => {
  await importFor('c-other-1', 'eu-other');
  await importFor('c-other-2', 'eu-other');
  expect(await purge('c-other-1')).toBe('purged');
  const res = await readJson(await t.api('/connections/c-other-2?provider_config_key=openai'));
  expect(res.body.end_user).toMatchObject({ id: 'eu-other', email: EMAIL, display_name: NAME });
});

/** The audit log lines (stdout) written while `work` runs, by action. */
async function auditLines(work: () => Promise<unknown>): Promise<unknown[]> {
  return (await stdoutJsonLines('"latchkey.audit"', work)).map((line) => line['event.action']);
}

test('deleteConnectionRow removes only a soft-deleted row, and audits (row and log line) only what it removed', async () => {
  await importFor('c-row', 'eu-row');
  const [{ id }] = await database().query<{ id: string }>("SELECT id FROM connections WHERE connection_id = 'c-row'");
  const event = {
    environmentId: devId,
    actor: { type: 'system' as const, id: 'row-test' },
    action: 'connection.hard_delete' as const,
    targetType: 'connection',
    targetId: null,
    outcome: 'success' as const,
    detail: { connection_id: 'c-row', provider_config_key: 'openai', reason: 'retention' },
    request: SYSTEM_REQUEST,
  };
  const audited = () => count("SELECT count(*) FROM audit_events WHERE action = 'connection.hard_delete' AND actor_id = 'row-test'");
  let result: unknown;
  expect(await auditLines(async () => (result = await deleteConnectionRow(database(), id, new Date(), false, event)))).toEqual([]);
  expect(result).toEqual({ connections: 0, end_users: 0, records_left: false });
  expect(await audited()).toBe(0);

  expect((await t.api('/connections/c-row?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  expect(await auditLines(async () => (result = await deleteConnectionRow(database(), id, new Date(), false, event)))).toEqual(['connection.hard_delete']);
  expect(result).toEqual({ connections: 1, end_users: 1, records_left: false });
  expect(await audited()).toBe(1);
});

describe('erasePersonalData', () => {
  const person = { endUserId: 'eu-probe', endUserEmail: EMAIL, endUserDisplayName: NAME };

  test('erases e-mail and name at every place a webhook body or audit detail holds them, and counts the rows', async () => {
    const body = await outboxBody(devId, { connectionId: 'c-probe', providerConfigKey: 'openai', endUser: person, tags: { end_user_email: EMAIL, end_user_display_name: NAME, team: 'blue' } });
    const detail = await auditDetail(devId, { connection_id: 'c-probe', provider_config_key: 'openai', email: EMAIL, display_name: NAME, end_user_email: EMAIL, end_user_display_name: NAME, end_user_id: 'eu-probe' });
    expect(await erasePersonalData(database(), key('c-probe'))).toEqual({ webhookBodies: 1, auditDetails: 1 });
    expect(await payloadOf(body)).toEqual({
      connectionId: 'c-probe',
      providerConfigKey: 'openai',
      endUser: { endUserId: 'eu-probe', endUserEmail: '[erased]', endUserDisplayName: '[erased]' },
      tags: { end_user_email: '[erased]', end_user_display_name: '[erased]', team: 'blue' },
    });
    expect(await detailOf(detail)).toEqual({
      connection_id: 'c-probe',
      provider_config_key: 'openai',
      email: '[erased]',
      display_name: '[erased]',
      end_user_email: '[erased]',
      end_user_display_name: '[erased]',
      end_user_id: 'eu-probe',
    });
  });

  test('adds no field that was missing and keeps a JSON null', async () => {
    const body = await outboxBody(devId, { connectionId: 'c-sparse', providerConfigKey: 'openai', endUser: { endUserId: 'eu-sparse', endUserEmail: EMAIL, endUserDisplayName: null } });
    const detail = await auditDetail(devId, { connection_id: 'c-sparse', provider_config_key: 'openai', display_name: NAME, email: null });
    expect(await erasePersonalData(database(), key('c-sparse'))).toEqual({ webhookBodies: 1, auditDetails: 1 });
    expect(await payloadOf(body)).toEqual({ connectionId: 'c-sparse', providerConfigKey: 'openai', endUser: { endUserId: 'eu-sparse', endUserEmail: '[erased]', endUserDisplayName: null } });
    expect(await detailOf(detail)).toEqual({ connection_id: 'c-sparse', provider_config_key: 'openai', display_name: '[erased]', email: null });
  });

  test('leaves bodies and details of other connection ids, integrations and environments, and those without personal data', async () => {
    const others = [
      await outboxBody(devId, { connectionId: 'c-near', providerConfigKey: 'openai', endUser: person }),
      await outboxBody(devId, { connectionId: 'c-scope', providerConfigKey: 'other', endUser: person }),
      await outboxBody(prodId, { connectionId: 'c-scope', providerConfigKey: 'openai', endUser: person }),
    ];
    const details = [
      await auditDetail(devId, { connection_id: 'c-near', provider_config_key: 'openai', email: EMAIL }),
      await auditDetail(devId, { connection_id: 'c-scope', provider_config_key: 'other', email: EMAIL }),
      await auditDetail(prodId, { connection_id: 'c-scope', provider_config_key: 'openai', email: EMAIL }),
    ];
    const plainBody = await outboxBody(devId, { connectionId: 'c-scope', providerConfigKey: 'openai', endUser: { endUserId: 'eu-x' } });
    const plainDetail = await auditDetail(devId, { connection_id: 'c-scope', provider_config_key: 'openai' });
    expect(await erasePersonalData(database(), key('c-scope'))).toEqual({ webhookBodies: 0, auditDetails: 0 });
    for (const id of others) expect(JSON.stringify(await payloadOf(id))).toContain(EMAIL);
    for (const id of details) expect(await detailOf(id)).toMatchObject({ email: EMAIL });
    expect(await payloadOf(plainBody)).toEqual({ connectionId: 'c-scope', providerConfigKey: 'openai', endUser: { endUserId: 'eu-x' } });
    expect(await detailOf(plainDetail)).toEqual({ connection_id: 'c-scope', provider_config_key: 'openai' });
  });
});
