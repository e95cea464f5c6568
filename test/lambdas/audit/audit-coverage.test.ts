import { database } from '../../support/handles';
import { Nango } from '@nangohq/node';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';

/**
 * Each audited action, done through the API the way a customer would, writes exactly one event
 * with the caller as actor and the thing acted on as target (README: every feature audits itself).
 */
let t: TestStack;
let nango: Nango;
let devKeyId: string;
beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  [{ id: devKeyId }] = await database().query<{ id: string }>("SELECT k.id FROM api_keys k JOIN environments e ON e.id = k.environment_id WHERE e.name = 'dev'");
});
afterAll(() => t.stop());

interface Row {
  action: string;
  actor_type: string;
  actor_id: string;
  target_type: string;
  target_id: string | null;
  detail: Record<string, unknown>;
}

/** Runs `act` and returns the audit rows it added, oldest first. */
async function eventsOf(act: () => Promise<unknown>): Promise<Row[]> {
  // As text: a Date keeps milliseconds, occurred_at has microseconds.
  const [{ max }] = await database().query<{ max: string }>("SELECT coalesce(max(occurred_at), 'epoch')::text AS max FROM audit_events");
  await act();
  return database().query<Row>(
    'SELECT action, actor_type, actor_id, target_type, target_id, detail FROM audit_events WHERE occurred_at > CAST(:since AS timestamptz) ORDER BY occurred_at, id',
    { since: max },
  );
}

const CLIENT_SECRET = 'gh-client-secret-0123456789';

/** An integration for the tests that need one, made outside the measured actions (each test stands alone). */
async function integration(uniqueKey: string): Promise<string> {
  t.secrets.register(CLIENT_SECRET);
  const found = await database().query<{ id: string }>('SELECT id FROM integrations WHERE unique_key = :k', { k: uniqueKey });
  if (found[0]) return found[0].id;
  await nango.createIntegration({ provider: 'github', unique_key: uniqueKey, credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: CLIENT_SECRET } });
  const [{ id }] = await database().query<{ id: string }>('SELECT id FROM integrations WHERE unique_key = :k', { k: uniqueKey });
  return id;
}

describe('integrations', () => {
  test('create', async () => {
    t.secrets.register(CLIENT_SECRET);
    const events = await eventsOf(() =>
      nango.createIntegration({ provider: 'github', unique_key: 'gh-create', credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: CLIENT_SECRET } }),
    );
    const [{ id: integrationId }] = await database().query<{ id: string }>("SELECT id FROM integrations WHERE unique_key = 'gh-create'");
    expect(events).toEqual([
      { action: 'integration.create', actor_type: 'secret_key', actor_id: devKeyId, target_type: 'integration', target_id: integrationId, detail: { unique_key: 'gh-create', provider: 'github' } },
    ]);
  });

  test('credential read (include=credentials), and none for a plain read', async () => {
    const integrationId = await integration('gh');
    expect(await eventsOf(() => nango.getIntegration({ uniqueKey: 'gh' }))).toEqual([]);
    const events = await eventsOf(() => nango.getIntegration({ uniqueKey: 'gh' }, { include: ['credentials'] }));
    expect(events).toMatchObject([{ action: 'integration.credentials.read', target_type: 'integration', target_id: integrationId }]);
  });

  test('update records the changed fields, not their values', async () => {
    const integrationId = await integration('gh');
    const events = await eventsOf(() => nango.updateIntegration({ uniqueKey: 'gh' }, { display_name: 'GitHub (prod)' }));
    expect(events).toMatchObject([{ action: 'integration.update', target_id: integrationId, detail: { fields: ['display_name'] } }]);
  });
});

describe('connect sessions', () => {
  test('create and delete', async () => {
    await integration('gh');
    let token = '';
    const created = await eventsOf(async () => {
      token = (await nango.createConnectSession({ end_user: { id: 'user-1' }, allowed_integrations: ['gh'] })).data.token;
    });
    t.secrets.register(token);
    const [{ id: sessionId }] = await database().query<{ id: string }>('SELECT id FROM connect_sessions ORDER BY created_at DESC LIMIT 1');
    expect(created).toMatchObject([{ action: 'connect_session.create', actor_type: 'secret_key', target_type: 'connect_session', target_id: sessionId }]);
    const deleted = await eventsOf(() => t.api('/connect/session', { method: 'DELETE', key: token }));
    expect(deleted).toEqual([
      { action: 'connect_session.delete', actor_type: 'connect_session', actor_id: sessionId, target_type: 'connect_session', target_id: sessionId, detail: {} },
    ]);
  });

  test('a refused session writes nothing', async () => {
    const events = await eventsOf(() => t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u' }, allowed_integrations: ['missing'] } }));
    expect(events).toEqual([]);
  });
});

describe('integration delete', () => {
  test('delete', async () => {
    const id = await integration('gh-delete');
    const events = await eventsOf(async () => expect((await nango.deleteIntegration('gh-delete')).status).toBe(200));
    expect(events).toMatchObject([{ action: 'integration.delete', target_type: 'integration', target_id: id, detail: { unique_key: 'gh-delete' } }]);
    const listed = (await readJson(await t.api(`/audit-events?target_type=integration&target_id=${id}`))).body.data as { action: string }[];
    expect(listed.map((e) => e.action)).toEqual(['integration.delete', 'integration.create']);
  });
});
