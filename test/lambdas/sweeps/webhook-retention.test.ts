import { database } from '../../support/handles';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** The webhook log's retention: old events go with their deliveries, unless something is still to be sent. */

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

const NOW = new Date('2026-06-01T12:00:00Z');
const DAY = 86_400_000;

/** An outbox event created `ageMs` before NOW, with deliveries in the given states (each with one attempt logged). */
async function event(ageMs: number, status: string, targets: string[] = []): Promise<string> {
  const db = database();
  const createdAt = new Date(NOW.getTime() - ageMs);
  const [row] = await db.query<{ id: string }>(
    `INSERT INTO outbox (environment_id, event_type, payload, status, created_at)
     SELECT id, 'auth', '{}'::jsonb, :status, :created_at FROM environments WHERE name = 'dev' RETURNING id`,
    { status, created_at: createdAt },
  );
  for (const target of targets) {
    const [tr] = await db.query<{ id: string }>(
      `INSERT INTO webhook_targets (outbox_id, environment_id, url, kind, status, next_attempt_at, window_ends_at, created_at, updated_at)
       SELECT :outbox, environment_id, 'https://hooks.example.com', 'primary', :status, :at, :at, :at, :at FROM outbox WHERE id = :outbox RETURNING id`,
      { outbox: uuid(row.id), status: target, at: createdAt },
    );
    await db.execute(`INSERT INTO webhook_deliveries (outbox_id, url, attempt, target_id) VALUES (:outbox, 'https://hooks.example.com', 1, :target)`, {
      outbox: uuid(row.id),
      target: uuid(tr.id),
    });
  }
  return row.id;
}

const remaining = async () => (await database().query<{ id: string }>('SELECT id FROM outbox')).map((r) => r.id).sort();

test('deletes finished events exactly once they are 30 days old, with their deliveries and attempts; keeps what is still pending', async () => {
  const due = [
    await event(30 * DAY + 1_000, 'dispatched', ['delivered', 'dead']),
    await event(40 * DAY, 'skipped'),
  ];
  const kept = [
    await event(30 * DAY - 1_000, 'dispatched', ['delivered']),
    await event(90 * DAY, 'dispatched', ['delivered', 'pending']),
    await event(90 * DAY, 'pending'),
    await event(90 * DAY, 'published'),
  ];
  const result = await t.stack.scheduler.fire('webhook-retention', NOW);
  expect(result).toMatchObject({ sweep: 'webhook-retention', webhookEventsDeleted: 2 });
  expect(await remaining()).toEqual(kept.sort());
  const orphans = await database().query(
    'SELECT 1 FROM webhook_targets WHERE outbox_id = ANY (CAST(:ids AS uuid[])) UNION ALL SELECT 1 FROM webhook_deliveries WHERE outbox_id = ANY (CAST(:ids AS uuid[]))',
    { ids: `{${due.join(',')}}` },
  );
  expect(orphans).toEqual([]);
  const [audit] = await database().query<{ detail: Record<string, unknown> }>("SELECT detail FROM audit_events WHERE actor_id = 'webhook-retention'");
  expect(audit.detail).toMatchObject({ deleted: 2, retentionDays: 30 });

  // Idempotent: a second run finds nothing.
  expect(await t.stack.scheduler.fire('webhook-retention', NOW)).toMatchObject({ webhookEventsDeleted: 0 });
});
