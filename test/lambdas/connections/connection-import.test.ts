import { database, envelopeCipher } from '../../support/handles';
import { importConnection, type ImportRequest } from '../../../lambdas/connections/connection-import';
import { ImportRefusal } from '../../../lambdas/connections/errors';
import { openCredentials } from '../../../lambdas/connections/credentials';
import { ProviderRegistry } from '../../../lambdas/providers/provider-registry';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { connectionRow, deleteIntegration, environmentId, insertIntegration } from './fixtures';

let t: TestStack;
let env: string;
const deps = () => ({ db: database(), cipher: envelopeCipher(), registry: new ProviderRegistry() });
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

beforeAll(async () => {
  t = await startTestStack();
  env = await environmentId('dev');
  await insertIntegration('dev', 'github', 'github');
});
afterAll(() => t.stop());

const request = (connectionId: string, accessToken: string, extra: Partial<ImportRequest> = {}): ImportRequest => ({
  provider_config_key: 'github',
  connection_id: connectionId,
  credentials: { type: 'OAUTH2', access_token: accessToken },
  ...extra,
});

test('concurrent imports of one new id: one creation, the rest overrides, one row whose envelope opens', async () => {
  const results = await Promise.all([1, 2, 3, 4, 5].map((n) => importConnection(deps(), env, request('race', `at-${n}`), new Date())));
  expect(results.filter((r) => r.operation === 'creation')).toHaveLength(1);
  const rows = await database().query<{ id: string; credentials: Buffer }>('SELECT id, credentials FROM connections WHERE connection_id = :cid AND deleted_at IS NULL', { cid: 'race' });
  expect(rows).toHaveLength(1);
  expect(new Set(results.map((r) => r.row.id))).toEqual(new Set([rows[0].id]));
  const stored = (await openCredentials(envelopeCipher(), env, rows[0])) as { access_token: string };
  expect(['at-1', 'at-2', 'at-3', 'at-4', 'at-5']).toContain(stored.access_token);
});

test('statements per import: 2 for a catalog provider (lookup + write), 3 with an end user', async () => {
  await importConnection(deps(), env, request('warm', 'x'), new Date()); // warms the data key cache
  t.stack.dataApi.control.resetStats();
  t.stack.kms.control.resetStats();
  await importConnection(deps(), env, request('count-1', 'x'), new Date());
  expect(sum(t.stack.dataApi.control.stats().calls)).toBe(2);
  t.stack.dataApi.control.resetStats();
  await importConnection(deps(), env, request('count-1', 'y', { end_user: { id: 'eu' } }), new Date());
  expect(sum(t.stack.dataApi.control.stats().calls)).toBe(3);
  expect(sum(t.stack.kms.control.stats().calls)).toBe(0);
});

test("a connection left by a deleted integration of the same key is retired, not revived", async () => {
  const oldIntegration = await insertIntegration('dev', 'reused', 'github');
  const first = await importConnection(deps(), env, { ...request('same', 'old'), provider_config_key: 'reused', metadata: { stale: true } }, new Date());
  await deleteIntegration(oldIntegration);
  await insertIntegration('dev', 'reused', 'github');
  const second = await importConnection(deps(), env, { ...request('same', 'new'), provider_config_key: 'reused' }, new Date());
  expect(second.operation).toBe('creation');
  expect(second.row.id).not.toBe(first.row.id);
  expect(second.row.metadata).toEqual({});
  expect((await connectionRow('reused', 'same')).id).toBe(second.row.id);
  const [old] = await database().query<{ deleted_at: Date | null }>('SELECT deleted_at FROM connections WHERE id = CAST(:id AS uuid)', { id: first.row.id });
  expect(old.deleted_at).toBeInstanceOf(Date);
});

test('refusals carry no credential in their message', async () => {
  const secret = 'super-secret-api-key';
  const err = await importConnection(deps(), env, { provider_config_key: 'github', credentials: { type: 'API_KEY', apiKey: secret } }, new Date()).catch((e) => e);
  expect(err).toBeInstanceOf(ImportRefusal);
  expect(err.reason).toBe('auth_mode_mismatch');
  expect(JSON.stringify({ message: err.message, stack: err.stack })).not.toContain(secret);
});
