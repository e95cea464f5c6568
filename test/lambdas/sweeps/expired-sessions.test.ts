import { database } from '../../support/handles';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { SCHEDULES } from '../../../lib/topology';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

const NOW = new Date('2026-06-01T12:00:00Z');

async function seedSessions(expired: number, fresh: number): Promise<void> {
  const db = database();
  const [env] = await db.query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
  const [integration] = await db.query<{ id: string }>(
    "INSERT INTO integrations (environment_id, unique_key, provider) VALUES (:env, 'github-' || gen_random_uuid(), 'github') RETURNING id",
    { env: uuid(env.id) },
  );
  for (let i = 0; i < expired + fresh; i += 1) {
    const expiresAt = new Date(NOW.getTime() + (i < expired ? -60_000 : 60_000));
    const [session] = await db.query<{ id: string }>(
      'INSERT INTO connect_sessions (environment_id, token_hash, expires_at) VALUES (:env, uuid_send(gen_random_uuid()), :expires) RETURNING id',
      { env: uuid(env.id), expires: expiresAt },
    );
    await db.query('INSERT INTO websocket_clients (id, connection_id, expires_at) VALUES (gen_random_uuid(), gen_random_uuid()::text, :expires)', { expires: expiresAt });
    await db.query(
      `INSERT INTO oauth_sessions (environment_id, state_hash, browser_binding_hash, connect_session_id, integration_id, redirect_uri, expires_at)
       VALUES (:env, uuid_send(gen_random_uuid()), uuid_send(gen_random_uuid()), :session, :integration, 'http://localhost/cb', :expires)`,
      { env: uuid(env.id), session: uuid(session.id), integration: uuid(integration.id), expires: expiresAt },
    );
  }
}

async function counts() {
  const [row] = await database().query<{ connect: number; oauth: number; sockets: number }>(
    'SELECT (SELECT count(*)::int FROM connect_sessions) AS connect, (SELECT count(*)::int FROM oauth_sessions) AS oauth, (SELECT count(*)::int FROM websocket_clients) AS sockets',
  );
  return row;
}

describe('expired-sessions sweep', () => {
  test('is deployed as a schedule, and firing it as of a time deletes only what expired before it', async () => {
    expect(SCHEDULES.find((s) => s.name === 'expired-sessions')?.function).toBe('sweeps');
    await seedSessions(3, 2);
    const result = await t.stack.scheduler.fire('expired-sessions', NOW);
    expect(result).toEqual({ sweep: 'expired-sessions', asOf: NOW.toISOString(), oauthSessionsDeleted: 3, connectSessionsDeleted: 3, websocketClientsDeleted: 3 });
    expect(await counts()).toEqual({ connect: 2, oauth: 2, sockets: 2 });
  });

  test('two runs at once share the work and delete each row once', async () => {
    await database().query('DELETE FROM connect_sessions');
    await database().query('DELETE FROM websocket_clients');
    await seedSessions(40, 1);
    const results = (await Promise.all([t.stack.scheduler.fire('expired-sessions', NOW), t.stack.scheduler.fire('expired-sessions', NOW)])) as Array<{
      connectSessionsDeleted: number;
    }>;
    expect(results[0].connectSessionsDeleted + results[1].connectSessionsDeleted).toBe(40);
    expect(await counts()).toEqual({ connect: 1, oauth: 1, sockets: 1 });
  });

  test('rejects an event it does not know, changing nothing', async () => {
    await expect(t.stack.handlers.sweeps({ sweep: 'everything' }, { getRemainingTimeInMillis: () => 60_000 } as never)).rejects.toThrow();
    expect(await counts()).toEqual({ connect: 1, oauth: 1, sockets: 1 });
  });
});
