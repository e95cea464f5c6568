import { database } from '../../support/handles';
import { SWEEP_NAMES } from '../../../lambdas/sweeps/registry';
import { SCHEDULES } from '../../../lib/topology';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { insertIntegration } from '../connections/fixtures';
import { importForEndUser } from '../../support/end-user-connections';

/*
 * Issue 14, item 6: end users (id, e-mail, name: personal data) were kept forever. After a purge and
 * every sweep (as of +34 h and +39 days), the purged connection's end user and the end users of
 * sessions that never connected were still there. The `end-users` sweep removes end users with no
 * connection and no live session; a purge removes its end user at once.
 */

let t: TestStack;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  t = await startTestStack();
  await insertIntegration('dev', 'openai', 'openai');
});
afterAll(() => t.stop());

const endUsers = async () =>
  (await database().query<{ end_user_id: string; email: string | null }>('SELECT end_user_id, email FROM end_users ORDER BY end_user_id')).map((r) => r.end_user_id);

async function session(endUserId: string): Promise<void> {
  const res = await readJson(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: endUserId, email: `${endUserId}@example.com`, display_name: `Name ${endUserId}` } } }));
  expect(res.status).toBe(201);
  t.secrets.register(res.body.data.token);
}

const connection = (connectionId: string, endUserId: string) =>
  importForEndUser(t, connectionId, { id: endUserId, email: `${endUserId}@example.com`, display_name: `Name ${endUserId}` });

/** Every sweep in the `all` order, as of `at`, each until it reports no budget left over. */
async function sweepAll(at: Date): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const name of SWEEP_NAMES) results[name] = await t.stack.scheduler.fire(name, at);
  return results;
}

test('is a schedule of the sweeps function', () => {
  expect(SCHEDULES.find((s) => s.name === 'end-users')).toMatchObject({ function: 'sweeps', metrics: ['unusedEndUsersDeleted'] });
});

test('the issue proof: a purge erases its end user at once, and the sweeps erase the end users of sessions that never connected', async () => {
  await session('eu-never-connected');
  // The purged connection's end user also has a live session (the connect flow that made it).
  await session('eu-purged');
  await connection('c-purged', 'eu-purged');
  await connection('c-kept', 'eu-kept');
  await connection('c-deleted', 'eu-soft-deleted');
  expect(await endUsers()).toEqual(['eu-kept', 'eu-never-connected', 'eu-purged', 'eu-soft-deleted']);

  const purge = await t.api('/connections/c-purged?provider_config_key=openai&purge=true', { method: 'DELETE' });
  expect(purge.status).toBe(200);
  expect(await endUsers()).not.toContain('eu-purged');
  // Its sessions are ended with it: a purge leaves nothing that names the person.
  expect(await database().query("SELECT 1 FROM connect_sessions s JOIN end_users e ON e.id = s.end_user_id WHERE e.end_user_id = 'eu-purged'")).toHaveLength(0);

  expect((await t.api('/connections/c-deleted?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);

  // As of now: the session of eu-never-connected is live, so it stays.
  await sweepAll(new Date());
  expect(await endUsers()).toEqual(['eu-kept', 'eu-never-connected', 'eu-soft-deleted']);

  // +34 h: the session has expired; the soft-deleted connection is within its retention.
  const at34h = await sweepAll(new Date(Date.now() + 34 * HOUR));
  expect(at34h['end-users']).toMatchObject({ unusedEndUsersDeleted: 1 });
  expect(await endUsers()).toEqual(['eu-kept', 'eu-soft-deleted']);

  // +39 days: the soft-deleted connection is hard-deleted, and its end user with it.
  await sweepAll(new Date(Date.now() + 39 * DAY));
  expect(await endUsers()).toEqual(['eu-kept']);
});

test('an end user still used by a live session or by another connection stays; a just-written one is left alone', async () => {
  await session('eu-shared');
  await connection('c-shared-1', 'eu-shared');
  await connection('c-shared-2', 'eu-shared');
  expect((await t.api('/connections/c-shared-1?provider_config_key=openai&purge=true', { method: 'DELETE' })).status).toBe(200);
  expect(await endUsers()).toContain('eu-shared');

  // Written by an import an instant before its connection: the grace period covers the gap.
  await database().query("INSERT INTO end_users (environment_id, end_user_id) SELECT id, 'eu-in-flight' FROM environments WHERE name = 'dev'");
  await t.stack.scheduler.fire('end-users', new Date(Date.now() + 10 * 60_000));
  expect(await endUsers()).toEqual(expect.arrayContaining(['eu-shared', 'eu-in-flight']));
  await t.stack.scheduler.fire('end-users', new Date(Date.now() + 2 * HOUR));
  expect(await endUsers()).not.toContain('eu-in-flight');
  expect(await endUsers()).toContain('eu-shared');
});
