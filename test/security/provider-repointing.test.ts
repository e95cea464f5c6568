import { database } from '../support/handles';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';

/**
 * Who may move a provider's URLs (issue 14, items 3 and 4). A key with only
 * environment:providers:write changed a custom provider's token_url and the next refresh POSTed the
 * refresh token and client secret there. Moving the URLs of a provider in use now needs the scopes
 * that could read those credentials anyway, and is audited with the old and new hosts.
 */

let t: TestStack;
let writerKey: string;
let trustedKey: string;

const definition = (tokenHost: string) => ({
  display_name: 'Internal',
  auth_mode: 'OAUTH2',
  authorization_url: 'https://login.internal.example/authorize',
  token_url: `https://${tokenHost}/token`,
});

async function key(name: string, scopes: string[]): Promise<string> {
  const res = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: name, scopes } }));
  expect(res.status).toBe(201);
  t.secrets.register(res.body.data.secret);
  return res.body.data.secret as string;
}

async function storedTokenUrl(name: string): Promise<string> {
  const [row] = await database().query<{ url: string }>("SELECT definition->>'token_url' AS url FROM providers WHERE name = :name", { name });
  return row.url;
}

beforeAll(async () => {
  t = await startTestStack();
  writerKey = await key('providers-writer', ['environment:providers:write']);
  trustedKey = await key('providers-trusted', ['environment:providers:write', 'environment:integrations:read_credentials', 'environment:connections:read_credentials']);
  expect((await t.api('/providers/internal', { method: 'PUT', json: definition('login.internal.example') })).status).toBe(201);
  const integ = await t.api('/integrations', { method: 'POST', json: { provider: 'internal', unique_key: 'internal', credentials: { type: 'OAUTH2', client_id: 'c', client_secret: 'internal-secret-0123' } } });
  expect(integ.status).toBe(200);
  t.secrets.register('internal-secret-0123');
  expect((await t.api('/providers/unused', { method: 'PUT', json: definition('login.unused.example') })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

test('a key with only providers:write cannot re-point the token_url of a provider in use; nothing changes', async () => {
  const res = await readJson(await t.api('/providers/internal', { method: 'PUT', key: writerKey, json: definition('attacker.example') }));
  expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
  expect(res.body.error.message).toContain('environment:connections:read_credentials');
  expect(await storedTokenUrl('internal')).toBe('https://login.internal.example/token');
  const [attempt] = await database().query<{ outcome: string; detail: Record<string, unknown> }>(
    "SELECT outcome, detail FROM audit_events WHERE action = 'provider.put' AND target_id = 'internal' ORDER BY occurred_at DESC, id DESC LIMIT 1",
  );
  expect(attempt).toEqual({
    outcome: 'failure',
    detail: { in_use: true, error_type: 'forbidden', url_changes: [{ field: 'token_url', old_hosts: ['login.internal.example'], new_hosts: ['attacker.example'] }] },
  });
});

test('the same key may change what does not move a request (display name) and may re-point an unused provider', async () => {
  const renamed = await t.api('/providers/internal', { method: 'PUT', key: writerKey, json: { ...definition('login.internal.example'), display_name: 'Internal SSO' } });
  expect(renamed.status).toBe(200);
  const unused = await t.api('/providers/unused', { method: 'PUT', key: writerKey, json: definition('login2.unused.example') });
  expect(unused.status).toBe(200);
  expect(await storedTokenUrl('unused')).toBe('https://login2.unused.example/token');
});

test('turning on allow_private_network for a provider in use counts as re-pointing', async () => {
  const res = await t.api('/providers/internal', { method: 'PUT', key: writerKey, json: { ...definition('login.internal.example'), allow_private_network: true } });
  expect(res.status).toBe(403);
});

test('a key that can read the credentials may re-point it, and the audit row names the old and new hosts', async () => {
  const res = await t.api('/providers/internal', { method: 'PUT', key: trustedKey, json: definition('login2.internal.example') });
  expect(res.status).toBe(200);
  expect(await storedTokenUrl('internal')).toBe('https://login2.internal.example/token');
  const [event] = await database().query<{ detail: Record<string, unknown> }>(
    "SELECT detail FROM audit_events WHERE action = 'provider.put' AND target_id = 'internal' ORDER BY occurred_at DESC, id DESC LIMIT 1",
  );
  expect(event.detail).toEqual({
    created: false,
    in_use: true,
    url_changes: [{ field: 'token_url', old_hosts: ['login.internal.example'], new_hosts: ['login2.internal.example'] }],
  });
});

describe('allow_private_network needs fixed hosts (item 4)', () => {
  test.each([
    ['a whole-origin placeholder', { proxy: { base_url: '${connectionConfig.base}/', headers: { authorization: 'Bearer ${apiKey}' } } }],
    ['a host placeholder', { proxy: { base_url: 'http://${connectionConfig.host}:8080/', headers: { authorization: 'Bearer ${apiKey}' } } }],
    ['a label placeholder', { proxy: { base_url: 'http://${connectionConfig.host}.corp.internal/', headers: { authorization: 'Bearer ${apiKey}' } } }],
  ])('%s is refused at PUT /providers', async (_name, extra) => {
    const res = await readJson(
      await t.api('/providers/scanner', {
        method: 'PUT',
        json: { display_name: 'Scanner', auth_mode: 'API_KEY', allow_private_network: true, connection_config: { base: { title: 'b' }, host: { title: 'h' } }, ...extra },
      }),
    );
    expect([res.status, res.body.error.code]).toEqual([400, 'invalid_body']);
    expect(res.body.error.message).toContain('fixed host');
  });

  test('a fixed private host with placeholders in the path only is accepted', async () => {
    const res = await t.api('/providers/fixed-private', {
      method: 'PUT',
      json: { display_name: 'Fixed', auth_mode: 'API_KEY', allow_private_network: true, connection_config: { team: { title: 't' } }, proxy: { base_url: 'http://127.0.0.1:8080/${connectionConfig.team}', headers: { authorization: 'Bearer ${apiKey}' } } },
    });
    expect(res.status).toBe(201);
  });
});
