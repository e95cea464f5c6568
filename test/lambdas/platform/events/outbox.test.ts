import { database } from '../../../support/handles';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { newOutboxEvent, type OutboxEvent } from '../../../../lambdas/platform/events/outbox-event';
import { deleteSettledEventsBefore, outboxCte, outboxSelectCte, recordOutboxEvent } from '../../../../lambdas/platform/events/outbox-store';
import { publishOutboxEvents } from '../../../../lambdas/platform/events/publisher';
import { RequestScope, runAfterRequest, runInRequestScope } from '../../../../lambdas/platform/observability/request-scope';
import type { EventBridgeEvent } from '../../../../local/eventbridge';
import { EVENT_SOURCE } from '../../../../lib/topology';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { environmentId, insertIntegration } from '../../connections/fixtures';
import { insertConnection } from '../../webhooks/support';

/**
 * The outbox in the process that writes it: rows written with the change (outbox-store.ts) and
 * their publishing to the bus at the end of the request (publisher.ts), seen on the local
 * EventBridge stand-in through a rule of the test's own.
 */

let t: TestStack;
let env: string;
let connectionRowId: string;
const onBus: EventBridgeEvent[] = [];

beforeAll(async () => {
  t = await startTestStack();
  env = await environmentId('dev');
  connectionRowId = await insertConnection(env, await insertIntegration('dev', 'openai', 'openai'), 'openai', 'outbox-conn');
  t.stack.eventBridge.addRule({ name: 'outbox-test', pattern: { source: [EVENT_SOURCE] }, target: (e) => void onBus.push(e) });
});
afterAll(() => t.stop());
beforeEach(async () => {
  await t.stack.eventBridge.idle();
  onBus.length = 0;
  t.stack.eventBridge.control.clearFaults();
  t.stack.eventBridge.control.resetStats();
});

/** publishOutboxEvents with a client of its own, built in the calling test (the module keeps one client). */
async function freshPublish(events: OutboxEvent[]): Promise<string[]> {
  let published: string[] = [];
  await jest.isolateModulesAsync(async () => {
    published = await (await import('../../../../lambdas/platform/events/publisher')).publishOutboxEvents(events);
  });
  return published;
}
const putEvents = () => t.stack.eventBridge.control.count('PutEvents');
const event = (payload: Record<string, unknown> = {}, override?: string) => newOutboxEvent(env, 'auth', payload, override);
const rowOf = async (id: string) =>
  (await database().query<{ environment_id: string; connection_id: string | null; event_type: string; payload: unknown }>(
    'SELECT environment_id, connection_id, event_type, payload FROM outbox WHERE id = :id',
    { id: uuid(id) },
  ))[0];
const busIds = async () => {
  await t.stack.eventBridge.idle();
  return onBus.map((e) => e.detail.outbox_id);
};
const SOME_FAILED = 'outbox publish: some entries failed; the re-drive will deliver them';
const warnings = (message: string) =>
  t
    .logLines()
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.level === 'WARN' && line.message === message);

describe('outbox rows', () => {
  test('recordOutboxEvent writes the event, with its connection row when given; a webhook override stays in the stored payload', async () => {
    const plain = event({ a: 1 });
    await recordOutboxEvent(database(), plain);
    expect(await rowOf(plain.id)).toEqual({ environment_id: env, connection_id: null, event_type: 'auth', payload: { a: 1 } });

    const failed = event({ a: 2 }, 'https://hooks.example.com/session');
    await recordOutboxEvent(database(), failed, connectionRowId);
    expect(await rowOf(failed.id)).toEqual({
      environment_id: env,
      connection_id: connectionRowId,
      event_type: 'auth',
      payload: { a: 2, _webhook_url_override: 'https://hooks.example.com/session' },
    });
  });

  test('outboxCte writes the event only where its condition holds, naming the connection row it is given', async () => {
    const run = async (e: OutboxEvent, when: string, connectionIdSql?: string) => {
      const cte = outboxCte('ev', e, when, connectionIdSql);
      // The statement's own `:id` must not be confused with the event's (the CTE's parameters are prefixed).
      await database().execute(`WITH ${cte.sql} SELECT CAST(:id AS uuid)`, { ...cte.params, conn: uuid(connectionRowId), id: uuid(connectionRowId) });
    };
    const skipped = event({ n: 0 });
    await run(skipped, 'false');
    expect(await rowOf(skipped.id)).toBeUndefined();
    const written = event({ n: 1 }, 'https://hooks.example.com/o');
    await run(written, 'true', 'CAST(:conn AS uuid)');
    expect(await rowOf(written.id)).toEqual({ environment_id: env, connection_id: connectionRowId, event_type: 'auth', payload: { n: 1, _webhook_url_override: 'https://hooks.example.com/o' } });
    const bare = event({ n: 2 });
    await run(bare, 'true');
    expect((await rowOf(bare.id))?.connection_id).toBeNull();
  });

  test("outboxSelectCte builds the body from the statement's rows and says whether it wrote one", async () => {
    const run = async (n: number, connectionIdSql?: string) => {
      const e = event();
      const cte = outboxSelectCte('ev', e, { payloadSql: "jsonb_build_object('n', v.n)", fromSql: '(SELECT CAST(:n AS integer) AS n) v', whereSql: 'v.n > 10', connectionIdSql });
      const [row] = await database().query<{ written: boolean }>(`WITH ${cte.sql} SELECT EXISTS (SELECT 1 FROM ev) AS written, CAST(:id AS uuid) AS own`, {
        ...cte.params,
        n,
        conn: uuid(connectionRowId),
        id: uuid(connectionRowId),
      });
      return { written: row.written, row: await rowOf(e.id) };
    };
    expect(await run(5)).toEqual({ written: false, row: undefined });
    expect(await run(50, 'CAST(:conn AS uuid)')).toEqual({ written: true, row: { environment_id: env, connection_id: connectionRowId, event_type: 'auth', payload: { n: 50 } } });
    expect((await run(60)).row?.connection_id).toBeNull();
  });

  test('deleteSettledEventsBefore deletes, batch by batch, the events before the cutoff that need nothing more', async () => {
    const cutoff = new Date('2026-06-01T00:00:00Z');
    const insert = async (status: string, createdAt: Date, pendingTarget = false) => {
      const [row] = await database().query<{ id: string }>(
        'INSERT INTO outbox (environment_id, event_type, payload, status, created_at) VALUES (:env, :type, :payload, :status, :at) RETURNING id',
        { env: uuid(env), type: 'auth', payload: {}, status, at: createdAt },
      );
      if (pendingTarget) {
        await database().execute(
          `INSERT INTO webhook_targets (outbox_id, environment_id, url, kind, status, next_attempt_at, window_ends_at, created_at, updated_at)
           VALUES (:id, :env, 'https://hooks.example.com', 'primary', 'pending', :at, :at, :at, :at)`,
          { id: uuid(row.id), env: uuid(env), at: createdAt },
        );
      }
      return row.id;
    };
    await database().execute('DELETE FROM outbox');
    const before = new Date(cutoff.getTime() - 1_000);
    const settled = [await insert('skipped', before), await insert('delivered', before), await insert('dead', before), await insert('dispatched', before)];
    const kept = [await insert('dispatched', before, true), await insert('pending', before), await insert('published', before), await insert('delivered', cutoff)];
    const budget = { batchSize: 3, deadline: Date.now() + 60_000 };
    expect(await deleteSettledEventsBefore(database(), cutoff, budget)).toBe(settled.length);
    expect(budget).toMatchObject({ batchesRun: 2 });
    const left = await database().query<{ id: string }>('SELECT id FROM outbox');
    expect(left.map((r) => r.id).sort()).toEqual([...kept].sort());
  });
});

describe('publishing', () => {
  test('each event goes once, ten to a call, carrying only its ids; the published ids come back', async () => {
    const events = Array.from({ length: 20 }, (_, i) => event({ i }));
    const warned = warnings(SOME_FAILED).length;
    const published = await publishOutboxEvents([...events, events[3]]);
    expect(warnings(SOME_FAILED)).toHaveLength(warned);
    expect(published).toEqual(events.map((e) => e.id));
    expect(putEvents()).toBe(2);
    await t.stack.eventBridge.idle();
    expect(onBus).toHaveLength(20);
    expect(onBus[0]).toMatchObject({ source: EVENT_SOURCE, 'detail-type': 'auth', detail: { outbox_id: events[0].id, environment_id: env } });
    expect(Object.keys(onBus[0].detail).sort()).toEqual(['environment_id', 'outbox_id']);
  });

  test('nothing to publish makes no call', async () => {
    expect(await publishOutboxEvents([])).toEqual([]);
    expect(putEvents()).toBe(0);
  });

  test('a failing call is tried twice, then left to the re-drive (logged); the next batch still goes', async () => {
    t.stack.eventBridge.control.injectFault({ operation: 'PutEvents', error: { code: 'InternalException', status: 500 }, times: 2 });
    const events = Array.from({ length: 15 }, (_, i) => event({ i }));
    expect(await freshPublish(events)).toEqual(events.slice(10).map((e) => e.id));
    expect(putEvents()).toBe(3);
    expect(await busIds()).toEqual(events.slice(10).map((e) => e.id));
    expect(warnings('outbox publish failed; the re-drive will deliver these events').at(-1)).toMatchObject({ events: 10, error: 'InternalException' });
  });

  test('a call that hangs is given up after its request timeout instead of holding the request', async () => {
    t.stack.eventBridge.control.injectFault({ operation: 'PutEvents', latencyMs: 5_000, times: 2 });
    expect(await freshPublish([event()])).toEqual([]);
  }, 30_000);

  test('entries the bus refuses are not reported as published, and are logged', async () => {
    const bus = process.env.LATCHKEY_EVENT_BUS_NAME;
    process.env.LATCHKEY_EVENT_BUS_NAME = 'no-such-bus';
    try {
      await jest.isolateModulesAsync(async () => {
        const fresh = await import('../../../../lambdas/platform/events/publisher');
        expect(await fresh.publishOutboxEvents([event(), event()])).toEqual([]);
      });
    } finally {
      process.env.LATCHKEY_EVENT_BUS_NAME = bus;
    }
    expect(putEvents()).toBe(1);
    expect(await busIds()).toEqual([]);
    expect(warnings(SOME_FAILED).at(-1)).toMatchObject({ failed: 2 });
  });
});

describe('publishing at the end of the request', () => {
  test("a request's events go in one call once its work is done, each request its own", async () => {
    const [first, second] = [new RequestScope(), new RequestScope()];
    const a = [event({ r: 1 }), event({ r: 1 })];
    const b = event({ r: 2 });
    await runInRequestScope(async () => {
      for (const e of a) await recordOutboxEvent(database(), e);
    }, first);
    await runInRequestScope(() => recordOutboxEvent(database(), b), second);
    expect(first.afterRequest).toHaveLength(1);
    expect(putEvents()).toBe(0);

    await runInRequestScope(runAfterRequest, first);
    expect(putEvents()).toBe(1);
    expect(await busIds()).toEqual(a.map((e) => e.id));
    await runInRequestScope(runAfterRequest, second);
    expect(putEvents()).toBe(2);
    expect(await busIds()).toEqual([...a, b].map((e) => e.id));
  });

  test('an event written after the request flushed its queue is queued again, not lost', async () => {
    const scope = new RequestScope();
    const [early, late] = [event(), event()];
    await runInRequestScope(async () => {
      await recordOutboxEvent(database(), early);
      await runAfterRequest();
      await recordOutboxEvent(database(), late);
      await runAfterRequest();
    }, scope);
    expect(await busIds()).toEqual([early.id, late.id]);
  });

  test('outside a request (scripts) an event is only written: the scheduled re-drive publishes it', async () => {
    const e = event();
    await recordOutboxEvent(database(), e);
    expect(await rowOf(e.id)).toBeDefined();
    expect(putEvents()).toBe(0);
    expect(await busIds()).toEqual([]);
  });
});
