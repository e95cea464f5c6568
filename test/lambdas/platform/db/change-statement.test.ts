import { randomUUID } from 'node:crypto';
import { database } from '../../../support/handles';
import { runChange } from '../../../../lambdas/platform/db/change-statement';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { newOutboxEvent } from '../../../../lambdas/platform/events/outbox-event';
import type { AuditRecord } from '../../../../lambdas/platform/observability/audit-line';
import { RequestScope, runInRequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { environmentId } from '../../connections/fixtures';
import { startTestStack, type TestStack } from '../../../support/local-stack';

/**
 * runChange: a change, its audit rows and its outbox events are ONE statement and commit
 * together, only when the change happened; the audit log line and the event's publishing follow
 * only then.
 */

let t: TestStack;
let env: string;

beforeAll(async () => {
  t = await startTestStack();
  env = await environmentId('dev');
  await database().execute('CREATE TABLE change_probe (id uuid PRIMARY KEY, n integer NOT NULL CHECK (n < 100))');
});
afterAll(() => t.stop());

const record = (actorId: string): AuditRecord => ({
  environmentId: env,
  actor: { type: 'system', id: actorId },
  action: 'retention.sweep',
  targetType: 'probe',
  targetId: null,
  outcome: 'success',
  request: { requestId: null, sourceIp: null, userAgent: null },
});

async function insertProbe(n: number): Promise<string> {
  const id = randomUUID();
  await database().execute('INSERT INTO change_probe (id, n) VALUES (:id, :n)', { id: uuid(id), n });
  return id;
}

/** Bumps the probe's n to `to`: the change under test, with one audit record and one event. */
function bump(id: string, to: number, actorId: string) {
  const event = newOutboxEvent(env, 'auth', { probe: actorId });
  const change = runChange<{ id: string }>(database(), {
    with: 'changed AS (UPDATE change_probe SET n = :n WHERE id = :id RETURNING id)',
    select: 'SELECT id FROM changed',
    params: { id: uuid(id), n: to },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit: record(actorId),
    auditTargetSql: '(SELECT id::text FROM changed)',
    events: [{ event }],
  });
  return { event, change };
}

async function written(actorId: string, eventId: string): Promise<{ audit: { target_id: string }[]; outbox: { payload: unknown }[] }> {
  const audit = await database().query<{ target_id: string }>('SELECT target_id FROM audit_events WHERE actor_id = :a', { a: actorId });
  const outbox = await database().query<{ payload: unknown }>('SELECT payload FROM outbox WHERE id = :id', { id: uuid(eventId) });
  return { audit, outbox };
}

const logged = (actorId: string) => t.logLines().filter((l) => l.includes('"latchkey.audit"') && l.includes(`"latchkey.actor.id":"${actorId}"`)).length;

test('a change that happens writes its audit row and outbox row in the same single statement, then logs and queues the event', async () => {
  const id = await insertProbe(1);
  const scope = new RequestScope();
  const { event, rows } = await runInRequestScope(async () => {
    const { event, change } = bump(id, 2, 'happens');
    return { event, rows: await change };
  }, scope);
  expect(rows).toEqual([{ id }]);
  expect(scope.dbStatements).toBe(1);
  const { audit, outbox } = await written('happens', event.id);
  expect(audit).toEqual([{ target_id: id }]);
  expect(outbox).toEqual([{ payload: { probe: 'happens' } }]);
  expect(logged('happens')).toBe(1);
  // The event waits for the end of the request, to be published then.
  expect(scope.afterRequest).toHaveLength(1);
});

test('a change that matches no row writes neither, logs nothing and queues nothing', async () => {
  const scope = new RequestScope();
  const { event, rows } = await runInRequestScope(async () => {
    const { event, change } = bump(randomUUID(), 2, 'no-row');
    return { event, rows: await change };
  }, scope);
  expect(rows).toEqual([]);
  expect(scope.dbStatements).toBe(1);
  expect(await written('no-row', event.id)).toEqual({ audit: [], outbox: [] });
  expect(logged('no-row')).toBe(0);
  expect(scope.afterRequest).toHaveLength(0);
});

test('a change that fails takes its audit and outbox rows with it', async () => {
  const id = await insertProbe(1);
  const { event, change } = bump(id, 100, 'fails');
  await expect(change).rejects.toThrow();
  expect(await written('fails', event.id)).toEqual({ audit: [], outbox: [] });
  expect(logged('fails')).toBe(0);
  const [probe] = await database().query<{ n: number }>('SELECT n FROM change_probe WHERE id = :id', { id: uuid(id) });
  expect(probe.n).toBe(1);
});

test('inside a transaction the log line waits for the commit and a rollback drops it with the rows', async () => {
  const id = await insertProbe(1);
  let eventId = '';
  await runInRequestScope(async () => {
    await expect(
      database().transaction(async (tx) => {
        const event = newOutboxEvent(env, 'auth', {});
        eventId = event.id;
        await runChange(tx, {
          with: 'changed AS (UPDATE change_probe SET n = 5 WHERE id = :id RETURNING id)',
          select: 'SELECT id FROM changed',
          params: { id: uuid(id) },
          when: 'EXISTS (SELECT 1 FROM changed)',
          audit: record('rolled-back'),
          events: [{ event }],
        });
        expect(logged('rolled-back')).toBe(0);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
  });
  expect(logged('rolled-back')).toBe(0);
  expect(await written('rolled-back', eventId)).toEqual({ audit: [], outbox: [] });
});

test("an event built from the statement's rows is written and published only where its own condition holds", async () => {
  const id = await insertProbe(1);
  const run = (to: number, actorId: string) => {
    const event = newOutboxEvent(env, 'auth', {});
    const scope = new RequestScope();
    const rows = runInRequestScope(
      () =>
        runChange<{ id: string; big: boolean }>(database(), {
          with: 'changed AS (UPDATE change_probe SET n = :n WHERE id = :id RETURNING id, n)',
          select: 'SELECT id, EXISTS (SELECT 1 FROM big_event) AS big FROM changed',
          params: { id: uuid(id), n: to },
          when: 'EXISTS (SELECT 1 FROM changed)',
          audit: record(actorId),
          events: [
            {
              event,
              name: 'big_event',
              select: { payloadSql: "jsonb_build_object('n', g.n)", fromSql: 'changed g', whereSql: 'g.n > 10' },
              written: ([r]) => r?.big === true,
            },
          ],
        }),
      scope,
    );
    return { event, scope, rows };
  };
  const small = run(2, 'small');
  expect(await small.rows).toEqual([{ id, big: false }]);
  expect(await written('small', small.event.id)).toEqual({ audit: [{ target_id: null }], outbox: [] });
  expect(small.scope.afterRequest).toHaveLength(0);

  const big = run(50, 'big');
  expect(await big.rows).toEqual([{ id, big: true }]);
  expect((await written('big', big.event.id)).outbox).toEqual([{ payload: { n: 50 } }]);
  expect(big.scope.afterRequest).toHaveLength(1);
});
