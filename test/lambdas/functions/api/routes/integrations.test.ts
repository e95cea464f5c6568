import { database, envelopeCipher } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

let t: TestStack;
let nango: Nango;
let devEnvId: string;
beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  [{ id: devEnvId }] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
  // The stack fails the file if any of these shows up in a log line or audit event.
  t.secrets.register(SECRET, PRIVATE_KEY, SF_SECRET, CUSTOM_SECRET, WEBHOOK_SECRET);
});
afterAll(() => t.stop());

const json = readJson;
const SECRET = 'gh-client-secret-7f3a9c0e1d';
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtest\n-----END RSA PRIVATE KEY-----';
const SF_SECRET = 'sf-client-secret-0a1b2c';
const CUSTOM_SECRET = 'custom-client-secret-9z8y';
const WEBHOOK_SECRET = 'whsec-slack-5d6e7f8a9b';

async function createKey(scopes: string[]): Promise<string> {
  const res = await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: `k-${randomUUID()}`, scopes } }));
  expect(res.status).toBe(201);
  return res.body.data.secret;
}

/** Every integration row of the database, for "nothing changed" checks. */
async function snapshot(): Promise<unknown[]> {
  return database().query('SELECT id, unique_key, display_name, client_id, client_secret, scopes, deleted_at, updated_at FROM integrations ORDER BY id');
}

describe('create, read, list (through @nangohq/node)', () => {
  test('createIntegration returns the public shape; the client secret is stored only as a bound envelope', async () => {
    const created = await nango.createIntegration({
      provider: 'github',
      unique_key: 'github-main',
      display_name: 'GitHub',
      credentials: { type: 'OAUTH2', client_id: 'gh-client', client_secret: SECRET, scopes: 'repo,user' },
    });
    expect(created.data).toEqual({
      unique_key: 'github-main',
      provider: 'github',
      display_name: 'GitHub',
      logo: `${t.baseUrl}/images/template-logos/github.svg`,
      forward_webhooks: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: expect.stringMatching(/Z$/),
    });

    const [row] = await database().query<{ id: string; client_id: string; client_secret: Buffer; scopes: string[] }>(
      "SELECT id, client_id, client_secret, scopes FROM integrations WHERE unique_key = 'github-main'",
    );
    expect(row.client_id).toBe('gh-client');
    expect(row.scopes).toEqual(['repo', 'user']);
    expect(row.client_secret.includes(Buffer.from(SECRET))).toBe(false);
    const binding = { environmentId: devEnvId, purpose: 'integration-secret' as const, table: 'integrations', rowId: row.id, field: 'client_secret' };
    expect(await envelopeCipher().decryptJson(row.client_secret, binding)).toEqual({ client_secret: SECRET });
    // Bound to its row: the same envelope under another row id does not open.
    await expect(envelopeCipher().decryptJson(row.client_secret, { ...binding, rowId: randomUUID() })).rejects.toThrow();
  });

  test('POST answers 200 (Nango quirk) and applies the provider default scopes when none are given', async () => {
    const res = await json(
      await t.api('/integrations', {
        method: 'POST',
        json: { provider: 'salesforce', unique_key: 'sf', credentials: { type: 'OAUTH2', client_id: 'sf-id', client_secret: SF_SECRET } },
      }),
    );
    expect(res.status).toBe(200);
    expect(res.body.data.display_name).toBe('Salesforce');
    const got = await nango.getIntegration({ uniqueKey: 'sf' }, { include: ['credentials'] });
    expect(got.data.credentials).toEqual({ type: 'OAUTH2', client_id: 'sf-id', client_secret: SF_SECRET, scopes: 'api,offline_access', webhook_secret: null });
  });

  test('API_KEY providers need no credentials; APP and CUSTOM credentials round-trip', async () => {
    expect((await nango.createIntegration({ provider: 'openai', unique_key: 'openai' })).data).toMatchObject({ provider: 'openai', display_name: 'OpenAI' });
    await nango.createIntegration({
      provider: 'github-app',
      unique_key: 'gh-app',
      credentials: { type: 'APP', app_id: '123', app_link: 'https://github.com/apps/latchkey', private_key: PRIVATE_KEY },
    });
    const app = await nango.getIntegration({ uniqueKey: 'gh-app' }, { include: ['credentials'] });
    expect(app.data.credentials).toEqual({ type: 'APP', app_id: '123', app_link: 'https://github.com/apps/latchkey', private_key: PRIVATE_KEY });
    await nango.createIntegration({
      provider: 'github-app-oauth',
      unique_key: 'gh-custom',
      credentials: { type: 'CUSTOM', client_id: 'cid', client_secret: CUSTOM_SECRET, app_id: '9', app_link: 'https://github.com/apps/x', private_key: PRIVATE_KEY },
    });
    const custom = await nango.getIntegration({ uniqueKey: 'gh-custom' }, { include: ['credentials'] });
    expect(custom.data.credentials).toEqual({
      type: 'CUSTOM',
      client_id: 'cid',
      client_secret: CUSTOM_SECRET,
      app_id: '9',
      app_link: 'https://github.com/apps/x',
      private_key: PRIVATE_KEY,
    });
    const none = await nango.getIntegration({ uniqueKey: 'openai' }, { include: ['credentials'] });
    expect(none.data.credentials).toBeNull();
  });

  test('getIntegration: include=webhook, only the last include reaches us, and no include has no extras', async () => {
    const plain = await nango.getIntegration({ uniqueKey: 'github-main' });
    expect(plain.data).not.toHaveProperty('credentials');
    expect(plain.data).not.toHaveProperty('webhook_url');
    const webhook = await nango.getIntegration({ uniqueKey: 'github-main' }, { include: ['credentials', 'webhook'] });
    expect(webhook.data.webhook_url).toBeNull();
    expect(webhook.data).not.toHaveProperty('credentials');
    // A raw client may repeat the parameter: both apply.
    const both = await json(await t.api('/integrations/github-main?include=webhook&include=credentials'));
    expect(both.body.data).toMatchObject({ webhook_url: null, credentials: { client_secret: SECRET } });
    expect(both.body.data.credentials.client_secret).toBe(SECRET);
  });

  test('listIntegrations returns {configs} without any secret', async () => {
    const list = await nango.listIntegrations();
    expect(list.configs.map((c: { unique_key: string }) => c.unique_key)).toEqual(['github-main', 'sf', 'openai', 'gh-app', 'gh-custom']);
    const raw = await t.api('/integrations');
    const text = await raw.text();
    expect(raw.status).toBe(200);
    for (const secret of [SECRET, SF_SECRET, CUSTOM_SECRET, 'PRIVATE KEY']) expect(text).not.toContain(secret);
    expect(JSON.parse(text).data[0]).not.toHaveProperty('credentials');
  });

  test('include=credentials needs read_credentials; list and read need their scopes', async () => {
    const reader = await createKey(['environment:integrations:read']);
    const denied = await json(await t.api('/integrations/github-main?include=credentials', { key: reader }));
    expect(denied).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:integrations:read_credentials' } } });
    expect(JSON.stringify(denied.body)).not.toContain(SECRET);
    expect((await t.api('/integrations/github-main', { key: reader })).status).toBe(200);
    expect((await t.api('/integrations', { key: reader })).status).toBe(403);

    const credReader = await createKey(['environment:integrations:read_credentials']);
    const ok = await json(await t.api('/integrations/github-main?include=credentials', { key: credReader }));
    expect(ok.body.data.credentials.client_secret).toBe(SECRET);
    expect(ok.body.data.credentials.scopes).toBe('repo,user');

    const lister = await createKey(['environment:integrations:list']);
    expect((await t.api('/integrations', { key: lister })).status).toBe(200);
    expect((await t.api('/integrations/github-main', { key: lister })).status).toBe(403);
    expect((await t.api('/integrations', { key: lister, method: 'POST', json: { provider: 'openai', unique_key: 'x' } })).status).toBe(403);
  });

  test('unknown key → 404 with Nango\'s message; unknown include → 400', async () => {
    expect(await json(await t.api('/integrations/nope'))).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Integration "nope" does not exist' } } });
    expect((await json(await t.api('/integrations/github-main?include=secrets'))).body.error.code).toBe('invalid_query_params');
    expect((await json(await t.api('/integrations?page=2'))).body.error.code).toBe('invalid_query_params');
  });
});

describe('POST /integrations errors', () => {
  test.each([
    ['unknown provider', { provider: 'no-such-provider', unique_key: 'k1' }, { code: 'invalid_body', errors: [{ code: 'invalid_string', message: 'Invalid provider', path: ['provider'] }] }],
    // No provider has such a name; Nango answers it as any unknown provider.
    ['a name no provider can have', { provider: 'GitHub', unique_key: 'k1' }, { code: 'invalid_body', errors: [{ code: 'invalid_string', message: 'Invalid provider', path: ['provider'] }] }],
    ['duplicate key', { provider: 'github', unique_key: 'github-main', credentials: { type: 'OAUTH2', client_id: 'a', client_secret: 'b' } }, { code: 'invalid_body', errors: [{ code: 'invalid_string', message: 'Unique key already exists', path: ['uniqueKey'] }] }],
    [
      'credentials of another auth mode',
      { provider: 'github', unique_key: 'k2', credentials: { type: 'APP', app_id: '1', app_link: 'https://a.example', private_key: PRIVATE_KEY } },
      { code: 'invalid_body', message: 'incompatible credentials auth type and provider auth' },
    ],
    ['OAUTH2 without credentials', { provider: 'github', unique_key: 'k3' }, { code: 'invalid_body', message: 'Missing credentials' }],
  ])('%s → 400 with Nango\'s body, nothing written', async (_name, body, error) => {
    const before = await snapshot();
    expect(await json(await t.api('/integrations', { method: 'POST', json: body }))).toEqual({ status: 400, body: { error } });
    expect(await snapshot()).toEqual(before);
  });

  test('random bad bodies → 400 invalid_body, nothing written, no secret echoed', async () => {
    const before = await snapshot();
    const badCredentials = fc.oneof(
      fc.record({ type: fc.constantFrom('OAUTH2', 'OAUTH1'), client_id: fc.constant(''), client_secret: fc.constant(SECRET) }),
      fc.record({ type: fc.constant('OAUTH2'), client_secret: fc.constant(SECRET) }),
      fc.record({ type: fc.constant('APP'), app_id: fc.constant('1'), app_link: fc.constant('not a url'), private_key: fc.constant(PRIVATE_KEY) }),
      fc.record({ type: fc.constant('APP'), app_id: fc.constant('1'), app_link: fc.constant('https://a.example'), private_key: fc.constant(SECRET) }),
      fc.record({ type: fc.string().filter((s) => !['OAUTH1', 'OAUTH2', 'TBA', 'APP', 'CUSTOM'].includes(s)), client_id: fc.constant('a'), client_secret: fc.constant(SECRET) }),
      fc.record({ type: fc.constant('OAUTH2'), client_id: fc.constant('a'), client_secret: fc.constant(SECRET), extra: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ provider: fc.constant('github'), unique_key: fc.constantFrom('', 'a/b', 'é', 'x'.repeat(256), 'a?b'), credentials: fc.constant({ type: 'OAUTH2', client_id: 'a', client_secret: SECRET }) }),
          fc.record({ provider: fc.constantFrom('', 'git hub', 'a/b', 'Ω'), unique_key: fc.constant('ok-key') }),
          fc.record({ provider: fc.constant('github'), unique_key: fc.constant('ok-key'), credentials: badCredentials }),
          fc.record({ provider: fc.constant('openai'), unique_key: fc.constant('ok-key'), forward_webhooks: fc.oneof(fc.string(), fc.integer()) }),
          fc.record({ provider: fc.constant('openai'), unique_key: fc.constant('ok-key'), custom: fc.oneof(fc.integer(), fc.constant({ a: 1 }), fc.array(fc.string())) }),
          fc.record({ provider: fc.constant('openai'), unique_key: fc.constant('ok-key'), display_name: fc.constantFrom('', 'x'.repeat(256)) }),
          fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !['provider', 'unique_key', 'credentials', 'display_name', 'forward_webhooks', 'integration_config', 'custom'].includes(k)), fc.jsonValue(), { minKeys: 1 }).map((extra) => ({ provider: 'openai', unique_key: 'ok-key', ...extra })),
        ),
        async (body) => {
          const res = await t.api('/integrations', { method: 'POST', json: body });
          const text = await res.text();
          expect(res.status).toBe(400);
          expect(JSON.parse(text).error.code).toBe('invalid_body');
          expect(text).not.toContain(SECRET);
        },
      ),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
    const logs = t.logLines();
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.filter((line) => line.includes(SECRET))).toEqual([]);
  });

  test('a connect session token is refused on secret-key routes', async () => {
    const session = await json(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'u-1' } } }));
    const token: string = session.body.data.token;
    for (const [path, method] of [
      ['/integrations/github-main', 'GET'],
      ['/integrations', 'POST'],
      ['/integrations/github-main', 'PATCH'],
      ['/integrations/github-main', 'DELETE'],
    ] as const) {
      const res = await json(await t.api(path, { method, key: token, json: method === 'GET' || method === 'DELETE' ? undefined : { display_name: 'x' } }));
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(token);
    }
    // A secret key in the query string is never looked at.
    expect((await t.api(`/integrations?secret_key=${t.devKey}`, { key: null })).status).toBe(401);
  });
});

describe('PATCH and DELETE', () => {
  test('updateIntegration changes fields, renames, replaces credentials and keeps a left-out webhook secret', async () => {
    await nango.createIntegration({
      provider: 'slack',
      unique_key: 'slack-old',
      credentials: { type: 'OAUTH2', client_id: 's-id', client_secret: 's-secret', webhook_secret: WEBHOOK_SECRET },
    });
    const updated = await nango.updateIntegration({ uniqueKey: 'slack-old' }, { unique_key: 'slack', display_name: 'Team chat', forward_webhooks: false });
    expect(updated.data).toMatchObject({ unique_key: 'slack', display_name: 'Team chat', forward_webhooks: false, provider: 'slack' });
    expect((await t.api('/integrations/slack-old')).status).toBe(404);

    await nango.updateIntegration({ uniqueKey: 'slack' }, { credentials: { type: 'OAUTH2', client_id: 's-id-2', client_secret: 's-secret-2', scopes: 'chat:write' } });
    const got = await nango.getIntegration({ uniqueKey: 'slack' }, { include: ['credentials'] });
    expect(got.data.credentials).toEqual({ type: 'OAUTH2', client_id: 's-id-2', client_secret: 's-secret-2', scopes: 'chat:write', webhook_secret: WEBHOOK_SECRET });
    await nango.updateIntegration({ uniqueKey: 'slack' }, { credentials: { type: 'OAUTH2', client_id: 's-id-2', client_secret: 's-secret-2', webhook_secret: '' } });
    expect((await nango.getIntegration({ uniqueKey: 'slack' }, { include: ['credentials'] })).data.credentials).toMatchObject({ webhook_secret: null });
  });

  test('PATCH errors: taken key, active connections, incompatible credentials, unknown key', async () => {
    await nango.createIntegration({ provider: 'anthropic', unique_key: 'claude' });
    expect(await json(await t.api('/integrations/claude', { method: 'PATCH', json: { unique_key: 'openai' } }))).toEqual({
      status: 400,
      body: { error: { code: 'invalid_body', message: 'uniqueKey is already used by another integration' } },
    });
    expect(await json(await t.api('/integrations/claude', { method: 'PATCH', json: { credentials: { type: 'OAUTH2', client_id: 'a', client_secret: 'b' } } }))).toEqual({
      status: 400,
      body: { error: { code: 'invalid_body', message: 'incompatible credentials auth type and provider auth' } },
    });
    expect(await json(await t.api('/integrations/ghost', { method: 'PATCH', json: { display_name: 'x' } }))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'Integration "ghost" does not exist' } },
    });

    await insertConnection('claude', 'conn-1');
    expect(await json(await t.api('/integrations/claude', { method: 'PATCH', json: { unique_key: 'claude-2' } }))).toEqual({
      status: 400,
      body: { error: { code: 'invalid_body', message: "Can't rename an integration with active connections" } },
    });
    // Other changes, and "renaming" to its own key, are fine.
    expect((await t.api('/integrations/claude', { method: 'PATCH', json: { unique_key: 'claude', display_name: 'Claude' } })).status).toBe(200);
  });

  test('random bad PATCH bodies and keys → 4xx, nothing changed', async () => {
    const before = await snapshot();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ key: fc.constant('github-main'), body: fc.record({ unique_key: fc.constantFrom('', 'a/b', 'x'.repeat(256)) }) }),
          fc.record({ key: fc.constant('github-main'), body: fc.record({ provider: fc.constant('openai') }) }),
          fc.record({ key: fc.constant('github-main'), body: fc.record({ forward_webhooks: fc.oneof(fc.string(), fc.constant(null)) }) }),
          fc.record({ key: fc.constant('github-main'), body: fc.record({ credentials: fc.constant({ type: 'OAUTH2', client_id: 'a' }) }) }),
          fc.record({ key: fc.constant('github-main'), body: fc.record({ credentials: fc.constant({ type: 'APP', app_id: '1', app_link: 'https://a.example', private_key: PRIVATE_KEY }) }) }),
          fc.record({ key: fc.constantFrom('does-not-exist', 'sf '), body: fc.constant({ display_name: 'x' }) }),
          fc.record({ key: fc.constant('github-main'), body: fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !['unique_key', 'display_name', 'forward_webhooks', 'credentials', 'integration_config', 'custom'].includes(k)), fc.jsonValue(), { minKeys: 1 }) }),
        ),
        async ({ key, body }) => {
          const res = await json(await t.api(`/integrations/${encodeURIComponent(key)}`, { method: 'PATCH', json: body }));
          expect([400, 404]).toContain(res.status);
          expect(['invalid_body', 'not_found']).toContain(res.body.error.code);
        },
      ),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
  });

  test('deleteIntegration soft-deletes the integration and its connections and erases its secret; the key can be reused', async () => {
    await nango.createIntegration({ provider: 'hubspot', unique_key: 'crm', credentials: { type: 'OAUTH2', client_id: 'h', client_secret: 'h-secret' } });
    await insertConnection('crm', 'c-1');
    await insertConnection('crm', 'c-2');
    const res = await nango.deleteIntegration('crm');
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ success: true });
    const rows = await database().query<{ deleted_at: Date | null; client_secret: Buffer | null }>("SELECT deleted_at, client_secret FROM integrations WHERE unique_key = 'crm'");
    expect(rows).toEqual([{ deleted_at: expect.any(Date), client_secret: null }]);
    const conns = await database().query<{ deleted_at: Date | null }>("SELECT deleted_at FROM connections WHERE provider_config_key = 'crm'");
    expect(conns).toHaveLength(2);
    expect(conns.every((c) => c.deleted_at instanceof Date)).toBe(true);
    expect(await json(await t.api('/integrations/crm', { method: 'DELETE' }))).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Integration does not exist' } } });
    expect((await nango.createIntegration({ provider: 'hubspot', unique_key: 'crm', credentials: { type: 'OAUTH2', client_id: 'h', client_secret: 'h2' } })).data.unique_key).toBe('crm');
  });
});

describe('environments are isolated', () => {
  test("prod's key cannot see, change or delete dev's integrations", async () => {
    const prod = new Nango({ secretKey: t.prodKey, host: t.baseUrl });
    expect((await prod.listIntegrations()).configs).toEqual([]);
    expect((await t.api('/integrations/github-main', { key: t.prodKey })).status).toBe(404);
    expect((await t.api('/integrations/github-main', { key: t.prodKey, method: 'PATCH', json: { display_name: 'pwned' } })).status).toBe(404);
    expect((await t.api('/integrations/github-main', { key: t.prodKey, method: 'DELETE' })).status).toBe(404);
    // The same key can exist in both environments.
    expect((await prod.createIntegration({ provider: 'openai', unique_key: 'github-main' })).data.unique_key).toBe('github-main');
    expect((await nango.getIntegration({ uniqueKey: 'github-main' })).data).toMatchObject({ provider: 'github', display_name: 'GitHub' });
  });
});

describe('custom providers and cost', () => {
  test("an environment's custom provider can back an integration; its display name is used", async () => {
    await database().query(
      `INSERT INTO providers (environment_id, name, definition) VALUES (:env::uuid, 'acme', :def::jsonb)`,
      { env: devEnvId, def: JSON.stringify({ display_name: 'Acme CRM', auth_mode: 'API_KEY', categories: [], scope_separator: ' ', proxy: { base_url: 'https://api.acme.example', headers: { authorization: 'Bearer ${apiKey}' } }, allow_private_network: false }) },
    );
    const created = await nango.createIntegration({ provider: 'acme', unique_key: 'acme' });
    expect(created.data.display_name).toBe('Acme CRM');
    expect((await nango.listIntegrations()).configs.find((c: { unique_key: string }) => c.unique_key === 'acme')).toMatchObject({ display_name: 'Acme CRM' });
    // Another environment has no such provider.
    expect((await t.api('/integrations', { key: t.prodKey, method: 'POST', json: { provider: 'acme', unique_key: 'acme' } })).status).toBe(400);
  });

  test('a warm GET /integrations/{key} and GET /integrations cost one statement each', async () => {
    await t.api('/integrations/github-main?include=credentials');
    for (const path of ['/integrations/github-main?include=credentials', '/integrations/acme', '/integrations']) {
      t.stack.dataApi.control.resetStats();
      t.stack.kms.control.resetStats();
      expect((await t.api(path)).status).toBe(200);
      expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
      expect(t.stack.kms.control.stats().calls).toEqual({});
    }
    t.stack.dataApi.control.resetStats();
    expect((await t.api('/integrations', { method: 'POST', json: { provider: 'mistral', unique_key: 'mistral' } })).status).toBe(200);
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
  });
});

test('the OpenAPI document lists the integration and connect-session routes', async () => {
  const { body: doc } = await readJson(await fetch(`${t.baseUrl}/openapi.json`));
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/integrations', '/integrations/{uniqueKey}', '/connect/sessions', '/connect/sessions/reconnect', '/connect/session']));
  expect(Object.keys(doc.paths['/integrations/{uniqueKey}']).sort()).toEqual(['delete', 'get', 'patch']);
});

/** A live connection row (the connections API is another module's; only the columns we read matter). */
async function insertConnection(integrationKey: string, connectionId: string): Promise<void> {
  await database().query(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key)
     SELECT environment_id, :connection_id, id, unique_key FROM integrations
      WHERE environment_id = :env::uuid AND unique_key = :key AND deleted_at IS NULL`,
    { env: devEnvId, key: integrationKey, connection_id: connectionId },
  );
}
