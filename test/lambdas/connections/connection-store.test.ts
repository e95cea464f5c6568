import { database, envelopeCipher } from '../../support/handles';
import { importConnection } from '../../../lambdas/connections/connection-import';
import {
  LAST_FETCHED_RESOLUTION_MS,
  listConnections,
  patchConnection,
  readConnection,
  softDeleteConnection,
  writeMetadata,
  type ConnectionKey,
} from '../../../lambdas/connections/connection-store';
import { ProviderRegistry } from '../../../lambdas/providers/provider-registry';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { deleteIntegration, environmentId, insertIntegration } from './fixtures';

let t: TestStack;
let env: string;
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
const key = (connectionId: string, providerConfigKey = 'github'): ConnectionKey => ({ environmentId: env, providerConfigKey, connectionId });

async function make(connectionId: string, providerConfigKey = 'github', metadata: Record<string, unknown> = {}) {
  const deps = { db: database(), cipher: envelopeCipher(), registry: new ProviderRegistry() };
  return importConnection(deps, env, { provider_config_key: providerConfigKey, connection_id: connectionId, metadata, credentials: { type: 'OAUTH2', access_token: 'a' } }, new Date());
}

beforeAll(async () => {
  t = await startTestStack();
  env = await environmentId('dev');
  await insertIntegration('dev', 'github', 'github');
  await make('s-1', 'github', { a: 1 });
  await make('s-2', 'github', { a: 2 });
});
afterAll(() => t.stop());

test('readConnection: hit, unknown connection and unknown integration are each ONE statement', async () => {
  const now = new Date('2031-01-01T00:00:00.000Z');
  for (const [k, kind] of [
    [key('s-1'), 'found'],
    [key('nope'), 'unknown_connection'],
    [key('s-1', 'nope'), 'unknown_integration'],
  ] as const) {
    t.stack.dataApi.control.resetStats();
    const outcome = await readConnection(database(), k, now, true);
    expect(outcome.kind).toBe(kind);
    expect(sum(t.stack.dataApi.control.stats().calls)).toBe(1);
  }
  const hit = await readConnection(database(), key('s-1'), new Date('2032-01-01T00:00:00.000Z'), false);
  // touch=false leaves last_fetched_at as the previous read set it.
  expect(hit.kind === 'found' && hit.row.last_fetched_at?.toISOString()).toBe('2031-01-01T00:00:00.000Z');
});

test('last_fetched_at is rewritten at most once per LAST_FETCHED_RESOLUTION_MS', async () => {
  await make('lf-1');
  const at = (ms: number) => new Date(Date.UTC(2035, 0, 1) + ms);
  const read = async (ms: number) => {
    const outcome = await readConnection(database(), key('lf-1'), at(ms), true);
    return outcome.kind === 'found' ? outcome.row.last_fetched_at?.toISOString() : undefined;
  };
  const rowVersion = async () => (await database().query<{ xmin: string }>("SELECT xmin::text FROM connections WHERE connection_id = 'lf-1'"))[0].xmin;
  expect(await read(0)).toBe(at(0).toISOString());
  const version = await rowVersion();
  expect(await read(LAST_FETCHED_RESOLUTION_MS - 1)).toBe(at(0).toISOString());
  // No write at all within the resolution: the row version is unchanged.
  expect(await rowVersion()).toBe(version);
  expect(await read(LAST_FETCHED_RESOLUTION_MS + 1)).toBe(at(LAST_FETCHED_RESOLUTION_MS + 1).toISOString());
});

test('writeMetadata: duplicate ids are fine; one unknown id writes nothing', async () => {
  expect(await writeMetadata(database(), env, 'github', ['s-1', 's-1', 's-2'], { b: 1 }, true, new Date())).toEqual({ missing: [], tooLarge: [] });
  const result = await writeMetadata(database(), env, 'github', ['s-2', 'x-2', 's-1', 'x-1'], { c: 1 }, false, new Date());
  expect(result).toEqual({ missing: ['x-2', 'x-1'], tooLarge: [] });
  const rows = await database().query<{ connection_id: string; metadata: unknown }>("SELECT connection_id, metadata FROM connections WHERE connection_id IN ('s-1', 's-2') ORDER BY connection_id");
  expect(rows).toEqual([
    { connection_id: 's-1', metadata: { a: 1, b: 1 } },
    { connection_id: 's-2', metadata: { a: 2, b: 1 } },
  ]);
});

test("a deleted integration's connections disappear from every statement", async () => {
  const integration = await insertIntegration('dev', 'doomed', 'github');
  await make('d-1', 'doomed');
  await deleteIntegration(integration);
  const db = database();
  const now = new Date();
  expect((await listConnections(db, env, {}, { rows: 100 })).rows.map((r) => r.connection_id)).not.toContain('d-1');
  expect((await readConnection(db, key('d-1', 'doomed'), now, true)).kind).toBe('unknown_integration');
  expect(await patchConnection(db, key('d-1', 'doomed'), { tags: { a: 'b' } }, now)).toBe(false);
  expect(await softDeleteConnection(db, key('d-1', 'doomed'), now)).toBe(false);
  expect((await writeMetadata(db, env, 'doomed', ['d-1'], {}, false, now)).missing).toEqual(['d-1']);
});

test('another environment sees nothing', async () => {
  const prod = await environmentId('prod');
  await insertIntegration('prod', 'github', 'github');
  const db = database();
  expect((await listConnections(db, prod, {}, { rows: 100 })).rows).toEqual([]);
  expect((await readConnection(db, { ...key('s-1'), environmentId: prod }, new Date(), true)).kind).toBe('unknown_connection');
  expect((await writeMetadata(db, prod, 'github', ['s-1'], {}, false, new Date())).missing).toEqual(['s-1']);
});
