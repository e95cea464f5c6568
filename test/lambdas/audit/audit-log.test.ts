import { database } from '../../support/handles';
import { recordAudit } from '../../../lambdas/audit/audit-log';
import { SYSTEM_REQUEST, type AuditEvent } from '../../../lambdas/audit/audit-event';
import { runInRequestScope } from '../../../lambdas/platform/observability/request-scope';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** An audit event's log line goes out exactly when its row is committed, whatever the request's outcome. */

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

const event = (id: string): AuditEvent => ({
  environmentId: null,
  actor: { type: 'system', id },
  action: 'retention.sweep',
  targetType: 'sweep',
  targetId: id,
  outcome: 'success',
  request: SYSTEM_REQUEST,
});
const logged = (id: string) => t.logLines().filter((l) => l.includes('"latchkey.audit"') && l.includes(`"latchkey.actor.id":"${id}"`)).length;

test('after an autocommit statement the line goes out at once, even if the request then fails', async () => {
  const failed = runInRequestScope(async () => {
    await recordAudit(database(), event('autocommit-then-fail'));
    expect(logged('autocommit-then-fail')).toBe(1);
    throw new Error('the request fails after its audited statement committed');
  });
  await expect(failed).rejects.toThrow('the request fails');
  // Still exactly one line, and the committed row stays.
  expect(logged('autocommit-then-fail')).toBe(1);
  const rows = await database().query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE actor_id = 'autocommit-then-fail'");
  expect(rows[0].n).toBe(1);
});

test('inside a transaction the line waits for the commit; a rollback drops it with the row', async () => {
  await runInRequestScope(async () => {
    await database().transaction(async (tx) => {
      await recordAudit(tx, event('in-commit'));
      expect(logged('in-commit')).toBe(0);
    });
    expect(logged('in-commit')).toBe(1);

    await expect(
      database().transaction(async (tx) => {
        await recordAudit(tx, event('in-rollback'));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(logged('in-rollback')).toBe(0);
    const rows = await database().query("SELECT 1 FROM audit_events WHERE actor_id = 'in-rollback'");
    expect(rows).toEqual([]);
  });
  // Outside a request scope there is nothing to wait for.
  await recordAudit(database(), event('no-scope'));
  expect(logged('no-scope')).toBe(1);
});
