import { database } from '../../../../support/handles';
import { uuid } from '../../../../../lambdas/platform/db/parameters';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

let t: TestStack;
let devKeyId: string;
beforeAll(async () => {
  t = await startTestStack();
  [{ id: devKeyId }] = await database().query<{ id: string }>(
    "SELECT k.id FROM api_keys k JOIN environments e ON e.id = k.environment_id WHERE e.name = 'dev'",
  );
});
afterAll(() => t.stop());

type Event = { id: string; action: string; actor: { type: string; id: string }; target: { type: string; id: string }; detail: Record<string, unknown> };
const events = async (query = '', key = t.devKey): Promise<{ data: Event[]; next_cursor: string | null }> =>
  (await readJson(await t.api(`/audit-events${query}`, { key }))).body;

describe('audit events of environment and key changes', () => {
  test('each action writes exactly one event with the caller as actor and the right target', async () => {
    const before = (await events('?limit=500')).data.length;
    await t.api('/environment', { method: 'PATCH', json: { webhook_url: 'https://hooks.example.com/a?token=hook-secret-123456' } });
    const rotated = (await readJson(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }))).body.data.webhook_signing_key;
    const created = (await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'audited' } }))).body.data;
    await t.api(`/environment/api-keys/${created.id}`, { method: 'DELETE' });
    t.secrets.register(rotated, created.secret, 'hook-secret-123456');

    const { data } = await events('?limit=500');
    expect(data.length - before).toBe(4);
    const [revoke, create, rotate, settings] = data;
    expect(revoke).toMatchObject({ action: 'api_key.revoke', actor: { type: 'secret_key', id: devKeyId }, target: { type: 'api_key', id: created.id } });
    expect(create).toMatchObject({ action: 'api_key.create', target: { type: 'api_key', id: created.id }, detail: { display_name: 'audited' } });
    expect(rotate).toMatchObject({ action: 'environment.webhook_signing_key.rotate', target: { type: 'environment' } });
    expect(settings).toMatchObject({ action: 'environment.settings.update', detail: { fields: ['webhook_url'] } });
    expect(data[0]).toMatchObject({ request: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), source_ip: '127.0.0.1', user_agent: expect.any(String) } });
  });

  test('a refused change writes no event', async () => {
    const before = (await events('?limit=500')).data.length;
    expect((await t.api('/environment', { method: 'PATCH', json: { connection_retention_days: -1 } })).status).toBe(400);
    expect((await t.api('/environment/api-keys/00000000-0000-4000-8000-000000000000', { method: 'DELETE' })).status).toBe(404);
    expect((await events('?limit=500')).data.length).toBe(before);
  });

  test('the same events go to the log as JSON lines with OpenTelemetry-style names', async () => {
    await t.api('/environment', { method: 'PATCH', json: { webhook_on_connection_deleted: true } });
    const lines = t.logLines().map((l) => JSON.parse(l)).filter((l) => l['event.name'] === 'latchkey.audit');
    expect(lines.at(-1)).toMatchObject({
      'event.action': 'environment.settings.update',
      'event.outcome': 'success',
      'latchkey.actor.type': 'secret_key',
      'latchkey.actor.id': devKeyId,
      'latchkey.target.type': 'environment',
      'client.address': '127.0.0.1',
    });
  });
});

describe('GET /audit-events', () => {
  test('filters by action, target and actor; pages newest first with a cursor', async () => {
    for (let i = 0; i < 5; i += 1) await t.api('/environment', { method: 'PATCH', json: { connection_retention_days: 10 + i } });
    const page1 = await events('?action=environment.settings.update&limit=2');
    const page2 = await events(`?action=environment.settings.update&limit=2&cursor=${page1.next_cursor}`);
    expect(page1.data).toHaveLength(2);
    expect(page2.data).toHaveLength(2);
    expect(new Set([...page1.data, ...page2.data].map((e) => e.id)).size).toBe(4);
    expect(page1.data.every((e) => e.action === 'environment.settings.update')).toBe(true);
    const all = await events('?action=environment.settings.update&limit=500');
    expect(all.data.slice(0, 4).map((e) => e.id)).toEqual([...page1.data, ...page2.data].map((e) => e.id));
    expect((await events(`?actor_type=secret_key&actor_id=${devKeyId}&limit=500`)).data.length).toBeGreaterThanOrEqual(all.data.length);
    expect((await events('?action=api_key.create,api_key.revoke')).data.every((e) => e.action.startsWith('api_key.'))).toBe(true);
  });

  test('filters by time range', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await events(`?from=${encodeURIComponent(future)}`)).data).toEqual([]);
    expect((await events(`?to=${encodeURIComponent(future)}&limit=1`)).data).toHaveLength(1);
  });

  test("one environment never sees another's events", async () => {
    const prod = await events('?limit=500', t.prodKey);
    const dev = await events('?limit=500');
    expect(dev.data.length).toBeGreaterThan(0);
    const devIds = new Set(dev.data.map((e) => e.id));
    expect(prod.data.some((e) => devIds.has(e.id))).toBe(false);
  });

  test.each(['?action=nope', '?limit=0', '?limit=10001', '?cursor=garbage', '?from=yesterday', '?unknown=1'])('%s is a 400', async (query) => {
    const res = await readJson(await t.api(`/audit-events${query}`));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_query_params');
  });
});

describe('audit retention sweep', () => {
  test('deletes events older than the retention period and records that it did', async () => {
    const [env] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
    const now = new Date('2030-01-01T00:00:00Z');
    for (const daysAgo of [400, 366, 10]) {
      await database().query(
        `INSERT INTO audit_events (environment_id, occurred_at, actor_type, action, outcome) VALUES (:env, :at, 'system', 'connection.purge', 'success')`,
        { env: uuid(env.id), at: new Date(now.getTime() - daysAgo * 86_400_000) },
      );
    }
    const result = (await t.stack.scheduler.fire('audit-retention', now)) as { auditEventsDeleted: number };
    // Everything the tests above wrote is years older than "now" too.
    const [{ left }] = await database().query<{ left: number }>("SELECT count(*)::int AS left FROM audit_events WHERE action <> 'audit.retention.sweep'");
    expect(left).toBe(1);
    expect(result.auditEventsDeleted).toBeGreaterThanOrEqual(2);
    const [sweep] = await database().query<{ actor_type: string; actor_id: string; detail: { deleted: number } }>(
      "SELECT actor_type, actor_id, detail FROM audit_events WHERE action = 'audit.retention.sweep'",
    );
    expect(sweep).toMatchObject({ actor_type: 'system', actor_id: 'audit-retention', detail: { deleted: result.auditEventsDeleted } });
  });
});
