import { database, envelopeCipher } from '../../../../support/handles';
import fc from 'fast-check';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

const json = readJson;

describe('GET/PATCH /environment', () => {
  test("answers the key's own environment with defaults", async () => {
    const { status, body } = await json(await t.api('/environment'));
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      name: 'dev',
      is_production: false,
      webhook_url: null,
      webhook_on_auth_creation: true,
      webhook_on_connection_deleted: false,
      connection_retention_days: 31,
      webhook_signing_key_set: true,
    });
    expect((await json(await t.api('/environment', { key: t.prodKey }))).body.data).toMatchObject({ name: 'prod', is_production: true });
  });

  test('changes only the given settings', async () => {
    const res = await json(
      await t.api('/environment', { method: 'PATCH', json: { webhook_url: 'https://hooks.example.com/latchkey', connection_retention_days: 7 } }),
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ webhook_url: 'https://hooks.example.com/latchkey', connection_retention_days: 7, webhook_on_auth_creation: true });
    // The other environment is untouched.
    expect((await json(await t.api('/environment', { key: t.prodKey }))).body.data).toMatchObject({ webhook_url: null, connection_retention_days: 31 });
  });

  test('bad settings are a 400 with errors[] and change nothing', async () => {
    const before = (await json(await t.api('/environment'))).body.data;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ connection_retention_days: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 3651 }), fc.string(), fc.double({ noInteger: true })) }),
          fc.record({ webhook_url: fc.oneof(fc.constant('ftp://x.example'), fc.constant('not a url'), fc.integer()) }),
          fc.record({ webhook_on_auth_creation: fc.oneof(fc.string(), fc.integer()) }),
          fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !(k in before)), fc.jsonValue(), { minKeys: 1 }),
          fc.constant({}),
        ),
        async (patch) => {
          const res = await json(await t.api('/environment', { method: 'PATCH', json: patch }));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_body');
          expect(res.body.error.errors.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 40 },
    );
    expect((await json(await t.api('/environment'))).body.data).toEqual(before);
  });

  test('a wrong content type is 415', async () => {
    const res = await t.api('/environment', { method: 'PATCH', body: 'webhook_url=x', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(415);
    expect((await readJson(res)).body.error.code).toBe('invalid_content_type');
  });
});

describe('POST /environment/webhook-signing-key/rotate', () => {
  test('returns a new UUID key, stored only as an envelope bound to the environment row', async () => {
    const first = await json(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
    const second = await json(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
    expect(first.status).toBe(200);
    expect(first.body.data.webhook_signing_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.body.data.webhook_signing_key).not.toBe(first.body.data.webhook_signing_key);
    expect([t.devKey, t.prodKey]).not.toContain(second.body.data.webhook_signing_key);
    const [row] = await database().query<{ id: string; webhook_signing_key: Buffer }>("SELECT id, webhook_signing_key FROM environments WHERE name = 'dev'");
    expect(row.webhook_signing_key.includes(Buffer.from(second.body.data.webhook_signing_key))).toBe(false);
    const binding = { environmentId: row.id, purpose: 'environment-secret' as const, table: 'environments', rowId: row.id, field: 'webhook_signing_key' };
    expect((await envelopeCipher().decrypt(row.webhook_signing_key, binding)).toString()).toBe(second.body.data.webhook_signing_key);
    expect((await json(await t.api('/environment'))).body.data.webhook_signing_key_set).toBe(true);
  });
});

describe('secret keys', () => {
  test('create, list masked, use, revoke: the revoked key stops at once, the others keep working', async () => {
    const created = await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'rotation-2026' } }));
    expect(created.status).toBe(201);
    const secret: string = created.body.data.secret;
    expect(secret).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(created.body.data.scopes).toEqual(['environment:*']);

    const listed = await json(await t.api('/environment/api-keys'));
    const entry = listed.body.data.find((k: { id: string }) => k.id === created.body.data.id);
    expect(entry.masked_key).toMatch(new RegExp(`${secret.slice(-4)}$`));
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain(t.devKey);

    expect((await t.api('/environment', { key: secret })).status).toBe(200);
    const [used] = await database().query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE display_name = :n', { n: 'rotation-2026' });
    expect(used.last_used_at).toBeInstanceOf(Date);

    expect((await t.api(`/environment/api-keys/${created.body.data.id}`, { method: 'DELETE' })).status).toBe(200);
    const refused = await json(await t.api('/environment', { key: secret }));
    expect(refused).toEqual({ status: 401, body: { error: { code: 'unknown_account', message: expect.any(String) } } });
    expect((await t.api('/environment')).status).toBe(200);
  });

  test('duplicate names are 409; a narrower key cannot mint a broader one', async () => {
    expect((await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'twin' } })).status).toBe(201);
    expect((await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'twin' } }))).body.error.code).toBe('conflict');
    const narrow = await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'reader', scopes: ['environment:api_keys:read', 'environment:api_keys:write'] } }));
    const escalate = await json(
      await t.api('/environment/api-keys', { method: 'POST', key: narrow.body.data.secret, json: { display_name: 'escalated', scopes: ['environment:*'] } }),
    );
    expect(escalate.status).toBe(403);
    const settings = await json(await t.api('/environment', { key: narrow.body.data.secret }));
    expect(settings).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:settings:read' } } });
  });

  test("one environment's key cannot revoke another's keys", async () => {
    const [prodKey] = await database().query<{ id: string }>("SELECT k.id FROM api_keys k JOIN environments e ON e.id = k.environment_id WHERE e.name = 'prod'");
    expect((await t.api(`/environment/api-keys/${prodKey.id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await t.api('/environment', { key: t.prodKey })).status).toBe(200);
  });
});

describe('authentication', () => {
  test.each([
    [{ key: null }, 401, 'missing_auth_header'],
    [{ key: 'not-a-uuid' }, 401, 'invalid_secret_key_format'],
    [{ key: '11111111-1111-4111-8111-111111111111' }, 401, 'unknown_account'],
    [{ key: `nango_connect_session_${'a'.repeat(64)}` }, 401, 'invalid_secret_key_format'],
  ])('%o → %d %s, without echoing the credential', async (init, status, code) => {
    const res = await t.api('/environment', init);
    const text = await res.text();
    expect(res.status).toBe(status);
    expect(JSON.parse(text).error.code).toBe(code);
    if (init.key) expect(text).not.toContain(init.key);
  });

  test('a secret key in the query string is never accepted', async () => {
    const res = await t.api(`/environment?secret_key=${t.devKey}`, { key: null });
    expect(res.status).toBe(401);
  });

  test('a warm authenticated request costs no statement for the key', async () => {
    await t.api('/environment');
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    expect((await t.api('/environment')).status).toBe(200);
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
    expect(t.stack.kms.control.stats().calls).toEqual({});
  });
});

describe('OpenAPI', () => {
  test('GET /openapi.json describes the routes from their own schemas', async () => {
    const { body: doc } = await readJson(await fetch(`${t.baseUrl}/openapi.json`));
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/environment', '/environment/api-keys', '/environment/api-keys/{keyId}']));
    expect(doc.paths['/environment'].patch.requestBody.content['application/json'].schema.properties.connection_retention_days).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 3650,
    });
    expect(doc.paths['/environment'].get.security).toEqual([{ secretKey: [] }]);
  });
});
