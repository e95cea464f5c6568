import { database, secretHasher } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

let t: TestStack;
let nango: Nango;
let devEnvId: string;
beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  [{ id: devEnvId }] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
  for (const [provider, unique_key] of [['openai', 'openai'], ['anthropic', 'claude'], ['mistral', 'mistral']]) {
    await nango.createIntegration({ provider, unique_key });
  }
  await new Nango({ secretKey: t.prodKey, host: t.baseUrl }).createIntegration({ provider: 'openai', unique_key: 'prod-only' });
});
afterAll(() => t.stop());

const json = readJson;
const TOKEN = /^nango_connect_session_[0-9a-f]{64}$/;

/** Creates a session through the SDK and registers its token with the stack's secret scan. */
async function session(body: Parameters<Nango['createConnectSession']>[0]): Promise<string> {
  const { data } = await nango.createConnectSession(body);
  t.secrets.register(data.token);
  return data.token;
}

async function snapshot(): Promise<unknown> {
  return {
    sessions: await database().query('SELECT id, expires_at FROM connect_sessions ORDER BY id'),
    endUsers: await database().query('SELECT id, end_user_id, email, display_name, organization_id, tags, updated_at FROM end_users ORDER BY id'),
  };
}

async function insertConnection(integrationKey: string, connectionId: string, environment = devEnvId): Promise<string> {
  const [row] = await database().query<{ id: string }>(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key)
     SELECT environment_id, :connection_id, id, unique_key FROM integrations
      WHERE environment_id = :env::uuid AND unique_key = :key AND deleted_at IS NULL
     RETURNING id`,
    { env: environment, key: integrationKey, connection_id: connectionId },
  );
  return row.id;
}

describe('POST /connect/sessions', () => {
  test('201 with a token, a connect link and a 30-minute expiry; only the hash is stored; the end user is upserted and linked', async () => {
    const before = Date.now();
    const res = await json(
      await t.api('/connect/sessions', {
        method: 'POST',
        json: {
          end_user: { id: 'user-1', email: 'ada@example.com', display_name: 'Ada', tags: { Plan: 'pro' } },
          organization: { id: 'org-1', display_name: 'Acme' },
          allowed_integrations: ['openai', 'claude'],
          tags: { team: 'core' },
        },
      }),
    );
    expect(res.status).toBe(201);
    const { token, connect_link, expires_at } = res.body.data;
    t.secrets.register(token);
    expect(token).toMatch(TOKEN);
    expect(connect_link).toBe(`${t.baseUrl}/connect?session_token=${token}`);
    const ttl = Date.parse(expires_at) - before;
    expect(ttl).toBeGreaterThan(29 * 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 60_000 + 5_000);
    expect(expires_at).toMatch(/Z$/);

    const rows = await database().query<{ token_hash: Buffer; text: string; tags: Record<string, string>; end_user_id: string }>(
      'SELECT token_hash, row_to_json(s)::text AS text, tags, end_user_id FROM connect_sessions s',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash.equals((await secretHasher()).hash(token))).toBe(true);
    expect(rows[0].text).not.toContain(token);
    expect(rows[0].text).not.toContain(token.slice(-64));
    expect(rows[0].tags).toEqual({
      end_user_id: 'user-1',
      end_user_email: 'ada@example.com',
      end_user_display_name: 'Ada',
      organization_id: 'org-1',
      organization_display_name: 'Acme',
      plan: 'pro',
      team: 'core',
    });
    const [endUser] = await database().query<{ id: string; organization_id: string }>("SELECT id, organization_id FROM end_users WHERE end_user_id = 'user-1'");
    expect(rows[0].end_user_id).toBe(endUser.id);
    expect(endUser.organization_id).toBe('org-1');
  });

  test('GET /connect/session with the token answers the session in Nango\'s shape', async () => {
    const token = await session({
      end_user: { id: 'user-2', email: 'bob@example.com' },
      allowed_integrations: ['openai'],
      integrations_config_defaults: { openai: { connection_config: { oauth_scopes_override: 'a,b' }, authorization_params: { prompt: 'consent' } } },
    });
    const res = await json(await t.api('/connect/session', { key: token }));
    expect(res).toEqual({
      status: 200,
      body: {
        data: {
          endUser: { id: 'user-2', email: 'bob@example.com', display_name: null, tags: null, organization: null },
          connectUISettings: { theme: { light: { primary: expect.stringMatching(/^#/) }, dark: { primary: expect.stringMatching(/^#/) } }, defaultTheme: 'system', showWatermark: false },
          allowed_integrations: ['openai'],
          integrations_config_defaults: { openai: { connection_config: { oauth_scopes_override: 'a,b' }, authorization_params: { prompt: 'consent' } } },
          websocketsPath: '/',
        },
      },
    });
  });

  test('tags alone are enough; then there is no end user', async () => {
    const token = await session({ tags: { end_user_id: 'from-tags' } } as never);
    const res = await json(await t.api('/connect/session', { key: token }));
    expect(res.body.data.endUser).toBeNull();
    expect(res.body.data).not.toHaveProperty('allowed_integrations');
  });

  test('webhook_url_override is stored; the deprecated connection_config.webhook_url is hoisted into it', async () => {
    const explicit = await session({ end_user: { id: 'user-3' }, webhook_url_override: 'https://hooks.example.com/a' });
    const hoisted = await session({ end_user: { id: 'user-3' }, integrations_config_defaults: { openai: { connection_config: { webhook_url: 'https://hooks.example.com/b', x: 1 } } } });
    const cleared = await session({ end_user: { id: 'user-3' }, webhook_url_override: '' });
    const hasher = await secretHasher();
    const read = async (token: string) =>
      (await database().query<{ webhook_url_override: string | null; integrations_config_defaults: unknown }>(
        'SELECT webhook_url_override, integrations_config_defaults FROM connect_sessions WHERE token_hash = :h',
        { h: hasher.hash(token) },
      ))[0];
    expect(await read(explicit)).toMatchObject({ webhook_url_override: 'https://hooks.example.com/a' });
    expect(await read(hoisted)).toEqual({ webhook_url_override: 'https://hooks.example.com/b', integrations_config_defaults: { openai: { connection_config: { x: 1 } } } });
    expect(await read(cleared)).toMatchObject({ webhook_url_override: null });
  });

  test('docs_connect overrides are accepted and shown to the Connect UI', async () => {
    const token = await session({ end_user: { id: 'user-4' }, overrides: { openai: { docs_connect: 'https://docs.example.com/openai' } } });
    expect((await json(await t.api('/connect/session', { key: token }))).body.data.overrides).toEqual({ openai: { docs_connect: 'https://docs.example.com/openai' } });
  });

  test('unknown integrations → 400 at their paths, and nothing is written (not even the end user)', async () => {
    const before = await snapshot();
    const res = await json(
      await t.api('/connect/sessions', {
        method: 'POST',
        json: {
          end_user: { id: 'never-written' },
          allowed_integrations: ['openai', 'nope', 'prod-only'],
          integrations_config_defaults: { ghost: {} },
          overrides: { claude: { docs_connect: 'https://d.example.com' } },
        },
      }),
    );
    expect(res).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_body',
          errors: [
            { code: 'custom', message: 'Integration does not exist', path: ['allowed_integrations', '1'] },
            // Another environment's integration does not exist here.
            { code: 'custom', message: 'Integration does not exist', path: ['allowed_integrations', '2'] },
            { code: 'custom', message: 'Integration does not exist', path: ['integrations_config_defaults', 'ghost'] },
          ],
        },
      },
    });
    expect(await snapshot()).toEqual(before);
  });

  test('random bad bodies → 400 invalid_body and nothing is written', async () => {
    const before = await snapshot();
    const known = ['end_user', 'organization', 'allowed_integrations', 'integrations_config_defaults', 'overrides', 'webhook_url_override', 'tags'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant({}),
          fc.record({ end_user: fc.oneof(fc.constant({}), fc.record({ id: fc.constantFrom('', 'x'.repeat(256)) }), fc.record({ id: fc.constant('u'), email: fc.constant('not-an-email') }), fc.string()) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), tags: fc.oneof(fc.constant({ '1bad': 'v' }), fc.constant({ k: '' }), fc.dictionary(fc.constantFrom(...'abcdefghijkl'), fc.constant('v'), { minKeys: 11 })) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), allowed_integrations: fc.oneof(fc.string(), fc.constant(['a/b']), fc.constant([1])) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), webhook_url_override: fc.constantFrom('ftp://x.example', 'nope', 5) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), overrides: fc.constant({ openai: { docs_connect: 'javascript:alert(1)' } }) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), integrations_config_defaults: fc.constant({ openai: { unknown: 1 } }) }),
          fc.record({ end_user: fc.constant({ id: 'u' }), integrations_config_defaults: fc.constant({ openai: { connection_config: { webhook_url: 'not a url' } } }) }),
          fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !known.includes(k)), fc.jsonValue(), { minKeys: 1 }).map((extra) => ({ end_user: { id: 'u' }, ...extra })),
        ),
        async (body) => {
          const res = await json(await t.api('/connect/sessions', { method: 'POST', json: body }));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_body');
        },
      ),
      { numRuns: 50 },
    );
    expect(await snapshot()).toEqual(before);
  });

  test('needs scope environment:connect_sessions:write; no query parameters', async () => {
    const key = await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'integrations-only', scopes: ['environment:integrations:list'] } }));
    const res = await json(await t.api('/connect/sessions', { method: 'POST', key: key.body.data.secret, json: { end_user: { id: 'u' } } }));
    expect(res).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:connect_sessions:write' } } });
    expect((await t.api('/connect/sessions?x=1', { method: 'POST', json: { end_user: { id: 'u' } } })).status).toBe(400);
  });

  test("prod's key cannot allow dev's integrations", async () => {
    const res = await json(await t.api('/connect/sessions', { method: 'POST', key: t.prodKey, json: { end_user: { id: 'u' }, allowed_integrations: ['openai'] } }));
    expect(res.status).toBe(400);
    expect(res.body.error.errors).toEqual([{ code: 'custom', message: 'Integration does not exist', path: ['allowed_integrations', '0'] }]);
  });
});

describe('what a connect session token may do', () => {
  test('GET /integrations is filtered to allowed_integrations (all of them when unset)', async () => {
    const limited = await session({ end_user: { id: 'user-5' }, allowed_integrations: ['claude', 'mistral'] });
    const list = await json(await t.api('/integrations', { key: limited }));
    expect(list.status).toBe(200);
    expect(list.body.data.map((i: { unique_key: string }) => i.unique_key)).toEqual(['claude', 'mistral']);
    const open = await session({ end_user: { id: 'user-5' } });
    expect((await json(await t.api('/integrations', { key: open }))).body.data.map((i: { unique_key: string }) => i.unique_key)).toEqual(['openai', 'claude', 'mistral']);
  });

  test('it is refused (401) on secret-key routes, and a secret key is refused on connect-session routes', async () => {
    const token = await session({ end_user: { id: 'user-6' } });
    for (const [path, method, body] of [
      ['/connect/sessions', 'POST', { end_user: { id: 'x' } }],
      ['/connect/sessions/reconnect', 'POST', { connection_id: 'c', integration_id: 'openai' }],
      ['/integrations/openai', 'GET', undefined],
      ['/integrations', 'POST', { provider: 'openai', unique_key: 'sneaky' }],
      ['/environment', 'GET', undefined],
    ] as const) {
      const res = await t.api(path, { method, key: token, json: body });
      const text = await res.text();
      expect([path, res.status]).toEqual([path, 401]);
      expect(text).not.toContain(token);
    }
    const res = await json(await t.api('/connect/session'));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('invalid_connect_session_token_format');
    expect((await t.api(`/connect/session?connect_session_token=${token}`, { key: null })).status).toBe(401);
  });

  test('DELETE /connect/session → 204, and the token stops working at once', async () => {
    const token = await session({ end_user: { id: 'user-7' } });
    expect((await t.api('/connect/session', { key: token })).status).toBe(200);
    const del = await t.api('/connect/session', { method: 'DELETE', key: token });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    for (const path of ['/connect/session', '/integrations']) {
      expect((await json(await t.api(path, { key: token }))).body.error.code).toBe('unknown_connect_session_token');
    }
  });

  test('an expired session → 401 unknown_connect_session_token', async () => {
    const token = await session({ end_user: { id: 'user-8' } });
    await database().query("UPDATE connect_sessions SET expires_at = now() - interval '1 second' WHERE token_hash = :h", { h: (await secretHasher()).hash(token) });
    expect(await json(await t.api('/connect/session', { key: token }))).toEqual({
      status: 401,
      body: { error: { code: 'unknown_connect_session_token', message: expect.any(String) } },
    });
  });
});

describe('POST /connect/sessions/reconnect', () => {
  test('createReconnectSession ties the session to the connection and its integration', async () => {
    const connectionRowId = await insertConnection('claude', 'conn-abc');
    const { data } = await nango.createReconnectSession({ connection_id: 'conn-abc', integration_id: 'claude', end_user: { id: 'user-9' } });
    t.secrets.register(data.token);
    expect(data.token).toMatch(TOKEN);
    expect(data.connect_link).toContain('/connect?session_token=');
    const [row] = await database().query<{ connection_id: string; allowed_integrations: string[] }>(
      'SELECT connection_id, allowed_integrations FROM connect_sessions WHERE token_hash = :h',
      { h: (await secretHasher()).hash(data.token) },
    );
    expect(row).toEqual({ connection_id: connectionRowId, allowed_integrations: ['claude'] });
    const got = await json(await t.api('/connect/session', { key: data.token }));
    expect(got.body.data).toMatchObject({ isReconnecting: true, allowed_integrations: ['claude'], endUser: { id: 'user-9' } });
  });

  test("without end_user the session keeps the connection's end user", async () => {
    await session({ end_user: { id: 'owner-1', email: 'owner@example.com' } });
    await insertConnection('openai', 'conn-owned');
    await database().query(
      "UPDATE connections SET end_user_id = (SELECT id FROM end_users WHERE end_user_id = 'owner-1') WHERE connection_id = 'conn-owned'",
    );
    const { data } = await nango.createReconnectSession({ connection_id: 'conn-owned', integration_id: 'openai' });
    t.secrets.register(data.token);
    const got = await json(await t.api('/connect/session', { key: data.token }));
    expect(got.body.data.endUser).toMatchObject({ id: 'owner-1', email: 'owner@example.com' });
  });

  test('201 raw; unknown, deleted or foreign connections → 400 with Nango\'s message and nothing written', async () => {
    const ok = await t.api('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: 'conn-abc', integration_id: 'claude' } });
    expect(ok.status).toBe(201);
    t.secrets.register((await readJson(ok)).body.data.token);

    await insertConnection('mistral', 'conn-gone');
    await database().query("UPDATE connections SET deleted_at = now() WHERE connection_id = 'conn-gone'");
    const [{ id: prodEnvId }] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'prod'");
    await insertConnection('prod-only', 'conn-prod', prodEnvId);
    const before = await snapshot();
    for (const body of [
      { connection_id: 'nope', integration_id: 'claude' },
      { connection_id: 'conn-abc', integration_id: 'openai' },
      { connection_id: 'conn-gone', integration_id: 'mistral', end_user: { id: 'not-written' } },
      { connection_id: 'conn-prod', integration_id: 'prod-only' },
    ]) {
      expect(await json(await t.api('/connect/sessions/reconnect', { method: 'POST', json: body }))).toEqual({
        status: 400,
        body: { error: { code: 'invalid_body', message: 'ConnectionID or IntegrationId does not exists' } },
      });
    }
    expect(await snapshot()).toEqual(before);
    expect((await t.api('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: 'x' } })).status).toBe(400);
  });
});

describe('cost', () => {
  test('a warm POST /connect/sessions is one statement; GET /connect/session two (token lookup + read)', async () => {
    await session({ end_user: { id: 'warm' } });
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    const res = await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'user-10', email: 'c@example.com' }, allowed_integrations: ['openai', 'claude'], tags: { a: 'b' } } });
    expect(res.status).toBe(201);
    const token: string = (await readJson(res)).body.data.token;
    t.secrets.register(token);
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
    expect(t.stack.kms.control.stats().calls).toEqual({});

    t.stack.dataApi.control.resetStats();
    expect((await t.api('/connect/session', { key: token })).status).toBe(200);
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 2 });
  });
});
