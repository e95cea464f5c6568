import { database } from '../support/handles';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { insertIntegration } from '../lambdas/connections/fixtures';
import { importForEndUser } from '../support/end-user-connections';

/*
 * Issue 14, item 13: after a purge, the `connection.deleted` webhook body kept the end user's
 * e-mail until webhook retention. A purge pseudonymises e-mail and display name in every webhook
 * body and audit detail about the connection, keeping the ids an auditor needs.
 */

let t: TestStack;
const EMAIL = 'erin.example@example.com';
const NAME = 'Erin Example-Person';

beforeAll(async () => {
  t = await startTestStack();
  await insertIntegration('dev', 'openai', 'openai');
  // Only the toggle: the event is written (no URL, so nothing is sent anywhere).
  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_on_connection_deleted: true } })).status).toBe(200);
});
afterAll(() => t.stop());

const importFor = (connectionId: string, endUserId: string) => importForEndUser(t, connectionId, { id: endUserId, email: EMAIL, display_name: NAME });

const everything = async () => [
  ...(await database().query<{ text: string }>('SELECT payload::text AS text FROM outbox')),
  ...(await database().query<{ text: string }>('SELECT detail::text AS text FROM audit_events')),
  ...(await database().query<{ text: string }>('SELECT row_to_json(e)::text AS text FROM end_users e')),
];

test('a purge leaves no e-mail or name in webhook bodies or audit details, and keeps the ids', async () => {
  await importFor('c-erin', 'eu-erin');
  // A plain delete first (its connection.deleted body is finished), then the same ids again, purged.
  expect((await t.api('/connections/c-erin?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  await database().query("UPDATE outbox SET status = 'delivered' WHERE event_type = 'connection.deleted'");
  await importFor('c-erin', 'eu-erin');
  const before = JSON.stringify(await everything());
  expect(before).toContain(EMAIL);

  expect((await t.api('/connections/c-erin?provider_config_key=openai&purge=true', { method: 'DELETE' })).status).toBe(200);

  const after = JSON.stringify(await everything());
  expect(after).not.toContain(EMAIL);
  expect(after).not.toContain(NAME);
  // The purge's own webhook still says which connection and which end user (the customer's id).
  const [deleted] = await database().query<{ payload: { connectionId: string; endUser: Record<string, unknown>; tags: Record<string, string> } }>(
    "SELECT payload FROM outbox WHERE event_type = 'connection.deleted' ORDER BY created_at DESC LIMIT 1",
  );
  expect(deleted.payload).toMatchObject({ connectionId: 'c-erin', endUser: { endUserId: 'eu-erin', endUserEmail: '[erased]' } });
  expect(deleted.payload.tags).toMatchObject({ end_user_id: 'eu-erin', end_user_email: '[erased]', end_user_display_name: '[erased]' });
  // Audit rows keep who did what to which connection.
  const actions = await database().query<{ action: string }>("SELECT action FROM audit_events WHERE detail->>'connection_id' = 'c-erin'");
  expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['connection.import', 'connection.delete', 'connection.purge', 'connection.hard_delete']));
});

test('another connection of the same person is untouched by a purge of this one', async () => {
  await importFor('c-other-1', 'eu-other');
  await importFor('c-other-2', 'eu-other');
  expect((await t.api('/connections/c-other-1?provider_config_key=openai&purge=true', { method: 'DELETE' })).status).toBe(200);
  const res = await readJson(await t.api('/connections/c-other-2?provider_config_key=openai'));
  expect(res.body.end_user).toMatchObject({ id: 'eu-other', email: EMAIL });
});
