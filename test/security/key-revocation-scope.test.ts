import { database } from '../support/handles';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';

/*
 * Issue 14, item 8: a key holding only `environment:api_keys:write` revoked a full-access key. A key
 * may revoke only keys whose every scope it holds itself, as it may create only such keys.
 */

let t: TestStack;

async function newKey(name: string, scopes: string[], key?: string): Promise<{ id: string; secret: string }> {
  const res = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: name, scopes }, key }));
  expect(res.status).toBe(201);
  t.secrets.register(res.body.data.secret);
  return { id: res.body.data.id, secret: res.body.data.secret };
}
const revoke = async (id: string, key: string) => readJson(await t.api(`/environment/api-keys/${id}`, { method: 'DELETE', key }));
const isActive = async (id: string) => (await database().query('SELECT 1 FROM api_keys WHERE id = :id::uuid AND revoked_at IS NULL', { id })).length === 1;

beforeAll(async () => {
  t = await startTestStack();
});
afterAll(() => t.stop());

test('a key with only api_keys:write cannot revoke a full-access key (403, key still works, nothing audited)', async () => {
  const full = await newKey('full', ['environment:*']);
  const keyAdmin = await newKey('key admin', ['environment:api_keys:write']);
  const res = await revoke(full.id, keyAdmin.secret);
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('forbidden');
  expect(await isActive(full.id)).toBe(true);
  expect((await t.api('/environment', { key: full.secret })).status).toBe(200);
  const audits = await database().query("SELECT 1 FROM audit_events WHERE action = 'api_key.revoke' AND target_id = :id", { id: full.id });
  expect(audits).toHaveLength(0);
});

test('nor a key holding more than it: every scope of the target must be covered', async () => {
  const target = await newKey('reader and writer', ['environment:connections:read', 'environment:api_keys:write']);
  const caller = await newKey('writer and list', ['environment:api_keys:write', 'environment:connections:list']);
  expect((await revoke(target.id, caller.secret)).status).toBe(403);
  expect(await isActive(target.id)).toBe(true);
});

test('a key may revoke keys within its scopes, itself included; a wildcard covers what is below it', async () => {
  const caller = await newKey('connections admin', ['environment:api_keys:write', 'environment:connections:*']);
  const narrow = await newKey('narrow', ['environment:connections:read_credentials']);
  expect((await revoke(narrow.id, caller.secret)).status).toBe(200);
  expect(await isActive(narrow.id)).toBe(false);
  expect((await revoke(caller.id, caller.secret)).status).toBe(200);
  // The full-access dev key revokes anything.
  const other = await newKey('other', ['environment:records:write']);
  expect((await revoke(other.id, t.devKey)).status).toBe(200);
});

test('an unknown key is still 404, whatever the caller holds', async () => {
  const keyAdmin = await newKey('key admin 2', ['environment:api_keys:write']);
  expect((await revoke('5b7c1f6e-8d1e-4c3a-9f55-1b2c3d4e5f60', keyAdmin.secret)).status).toBe(404);
});
