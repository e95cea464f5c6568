import { database, envelopeCipher } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import type { AxiosError } from 'axios';
import fc from 'fast-check';
import { credentialsBinding } from '../../../../../lambdas/connections/credentials';
import { uuid } from '../../../../../lambdas/platform/db/parameters';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';
import { connectionRow, environmentId, insertIntegration, snapshot } from '../../../connections/fixtures';

let t: TestStack;
let nango: Nango;
let devId: string;

const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  devId = await environmentId('dev');
  await insertIntegration('dev', 'github', 'github');
  await insertIntegration('dev', 'my github', 'github');
  await insertIntegration('dev', 'openai', 'openai');
  await insertIntegration('dev', 'twilio', 'twilio');
  await insertIntegration('dev', 'trello', 'trello');
  await insertIntegration('dev', 'gh-app', 'github-app');
  await insertIntegration('dev', 'ghost', 'no-such-provider');
  await insertIntegration('dev', 'paypal', 'paypal');
  await insertIntegration('dev', 'netsuite', 'netsuite-tba');
  // A custom provider (table `providers`) with auth mode NONE.
  await database().execute("INSERT INTO providers (environment_id, name, definition) SELECT id, 'open-api', :definition FROM environments WHERE name = 'dev'", {
    definition: { display_name: 'Open', auth_mode: 'NONE' },
  });
  await insertIntegration('dev', 'open', 'open-api');
  // The same key in prod: cross-environment misses must be "no such connection", not "no such integration".
  await insertIntegration('prod', 'github', 'github');
});
afterAll(() => t.stop());

const json = readJson;

function oauth2(connectionId: string, extra: Record<string, unknown> = {}, credentials: Record<string, unknown> = {}) {
  return {
    provider_config_key: 'github',
    connection_id: connectionId,
    credentials: { type: 'OAUTH2', access_token: `access-token-${connectionId}`, refresh_token: `refresh-token-${connectionId}`, expires_at: '2031-01-02T03:04:05.000Z', ...credentials },
    ...extra,
  };
}

async function importConnection(body: unknown, key?: string) {
  // Every credential value long enough to match only itself is checked against logs and audit rows.
  const credentials = (body as { credentials?: { type?: unknown } })?.credentials;
  // (Only real credential documents: fast-check's random ones could match log text by chance.)
  if (credentials && typeof credentials === 'object' && typeof credentials.type === 'string' && /^[A-Z0-9_]+$/.test(credentials.type)) {
    t.secrets.register(...Object.values(credentials).filter((v): v is string => typeof v === 'string' && v.length >= 12));
  }
  return json(await t.api('/connections', { method: 'POST', json: body, key }));
}

async function scopedKey(name: string, scopes: string[]): Promise<string> {
  const res = await json(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: name, scopes } }));
  expect(res.status).toBe(201);
  return res.body.data.secret;
}

/** `valid` with one field replaced by generated values. */
function withField<T extends object>(valid: T, field: string, values: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return values.map((value) => ({ ...valid, [field]: value }));
}

function axiosStatus(err: unknown): { status?: number; data?: unknown } {
  const response = (err as AxiosError).response;
  return { status: response?.status, data: response?.data };
}

describe('POST /connections (import)', () => {
  test('creates an OAUTH2 connection: 201 with credentials, ISO Z timestamps, envelope-only storage', async () => {
    const res = await importConnection(oauth2('imp-1', { metadata: { plan: 'pro' }, connection_config: { instance: 'eu' }, tags: { Team: 'core' } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      connection_id: 'imp-1',
      provider_config_key: 'github',
      provider: 'github',
      errors: [],
      end_user: null,
      tags: { team: 'core' },
      metadata: { plan: 'pro' },
      connection_config: { instance: 'eu' },
      webhook_url_override: null,
      last_fetched_at: null,
      credentials: {
        type: 'OAUTH2',
        access_token: 'access-token-imp-1',
        refresh_token: 'refresh-token-imp-1',
        expires_at: '2031-01-02T03:04:05.000Z',
        raw: { type: 'OAUTH2', access_token: 'access-token-imp-1', refresh_token: 'refresh-token-imp-1', expires_at: '2031-01-02T03:04:05.000Z' },
      },
    });
    expect(typeof res.body.id).toBe('number');
    expect(res.body.created_at).toMatch(ISO_Z);
    expect(res.body.updated_at).toMatch(ISO_Z);
    const row = await connectionRow('github', 'imp-1');
    expect(row.credentials).toBeInstanceOf(Buffer);
    expect(row.credentials!.includes(Buffer.from('access-token-imp-1'))).toBe(false);
    expect(row.credentials!.includes(Buffer.from('refresh-token-imp-1'))).toBe(false);
    expect(row.credentials_expires_at?.toISOString()).toBe('2031-01-02T03:04:05.000Z');
    const opened = await envelopeCipher().decryptJson(row.credentials!, credentialsBinding(devId, row.id));
    expect(opened).toMatchObject({ type: 'OAUTH2', access_token: 'access-token-imp-1' });
  });

  test('connection_id defaults to a UUID v4; end user upserted, its tags generated', async () => {
    const res = await importConnection({
      provider_config_key: 'openai',
      credentials: { type: 'API_KEY', apiKey: 'sk-imp-2' },
      end_user: { id: 'u-1', email: 'a@example.com', display_name: 'Ann', organization: { id: 'org-1', display_name: 'Acme' } },
      tags: { plan: 'gold' },
      webhook_url_override: 'https://hooks.example.com/x',
    });
    expect(res.status).toBe(201);
    expect(res.body.connection_id).toMatch(UUID_V4);
    expect(res.body.credentials).toEqual({ type: 'API_KEY', apiKey: 'sk-imp-2' });
    expect(res.body.end_user).toEqual({ id: 'u-1', email: 'a@example.com', display_name: 'Ann', tags: null, organization: { id: 'org-1', display_name: 'Acme' } });
    expect(res.body.tags).toEqual({
      end_user_id: 'u-1',
      end_user_email: 'a@example.com',
      end_user_display_name: 'Ann',
      organization_id: 'org-1',
      organization_display_name: 'Acme',
      plan: 'gold',
    });
    expect(res.body.webhook_url_override).toBe('https://hooks.example.com/x');
    expect(res.body.credentials_expires_at).toBeUndefined();
  });

  test('every importable credential type of the catalog round-trips', async () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['twilio', { type: 'BASIC', username: 'AC1', password: 'pw' }, { type: 'BASIC', username: 'AC1', password: 'pw' }],
      ['trello', { type: 'OAUTH1', oauth_token: 'ot', oauth_token_secret: 'ots' }, { type: 'OAUTH1', oauth_token: 'ot', oauth_token_secret: 'ots' }],
      [
        'paypal',
        { type: 'OAUTH2_CC', token: 'tok', client_id: 'ci', client_secret: 'cs', expires_at: 1_900_000_000_000 },
        { type: 'OAUTH2_CC', token: 'tok', client_id: 'ci', client_secret: 'cs', expires_at: new Date(1_900_000_000_000).toISOString() },
      ],
      ['netsuite', { type: 'TBA', token_id: 'ti', token_secret: 'ts', config_override: { client_id: 'c' } }, { type: 'TBA', token_id: 'ti', token_secret: 'ts', config_override: { client_id: 'c' } }],
      ['open', { type: 'NONE' }, {}],
    ];
    for (const [pck, credentials, expected] of cases) {
      const res = await importConnection({ provider_config_key: pck, connection_id: `types-${pck}`, credentials });
      expect(res.status).toBe(201);
      expect(res.body.credentials).toMatchObject(expected);
      // getToken hands OAUTH1 back as {oAuthToken, oAuthTokenSecret}, everything else as stored.
      const token = await nango.getToken(pck, `types-${pck}`);
      expect(token).toMatchObject(pck === 'trello' ? { oAuthToken: 'ot', oAuthTokenSecret: 'ots' } : expected);
    }
    // NONE stores no envelope at all.
    expect((await connectionRow('open', 'types-open')).credentials).toBeNull();
  });

  test('re-importing the same ids overrides: same id, new credentials, untouched fields kept', async () => {
    const first = await importConnection(oauth2('imp-3', { metadata: { keep: true }, tags: { a: '1' } }));
    const second = await importConnection(oauth2('imp-3', {}, { access_token: 'access-token-new', refresh_token: undefined, expires_at: undefined }));
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.created_at).toBe(first.body.created_at);
    expect(second.body.metadata).toEqual({ keep: true });
    expect(second.body.tags).toEqual({ a: '1' });
    expect(second.body.credentials.access_token).toBe('access-token-new');
    expect(second.body.credentials.refresh_token).toBeUndefined();
    const rows = await database().query('SELECT id FROM connections WHERE connection_id = :cid', { cid: 'imp-3' });
    expect(rows).toHaveLength(1);
    expect((await connectionRow('github', 'imp-3')).credentials_expires_at).toBeNull();
  });

  test("refusals: unknown integration 404, provider/type mismatch 400, unknown provider 404, APP 400; nothing written", async () => {
    const before = await snapshot();
    const unknown = await importConnection({ ...oauth2('x'), provider_config_key: 'nope' });
    expect(unknown).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Integration does not exist' } } });
    const mismatch = await importConnection({ provider_config_key: 'github', credentials: { type: 'API_KEY', apiKey: 'k' } });
    expect(mismatch).toEqual({ status: 400, body: { error: { code: 'invalid_body', message: 'Provider OAUTH2 does not support API_KEY auth' } } });
    const ghost = await importConnection({ provider_config_key: 'ghost', credentials: { type: 'NONE' } });
    expect(ghost).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Provider does not exist' } } });
    const app = await importConnection({ provider_config_key: 'gh-app', credentials: { type: 'APP', app_id: '1', installation_id: '2' } });
    expect(app.status).toBe(400);
    expect(app.body.error.code).toBe('invalid_body');
    expect(await snapshot()).toEqual(before);
  });

  test('bad bodies are 400 invalid_body and change nothing', async () => {
    const before = await snapshot();
    const valid = oauth2('fc');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          withField(valid, 'credentials', fc.oneof(fc.constant({ type: 'OAUTH2' }), fc.constant({ type: 'WHAT' }), fc.constant({ type: 'API_KEY', apiKey: '' }), fc.jsonValue())),
          withField(valid, 'provider_config_key', fc.oneof(fc.constant(''), fc.integer(), fc.constant(null))),
          withField(valid, 'connection_id', fc.oneof(fc.constant(''), fc.string({ minLength: 256, maxLength: 300 }), fc.constant('a\nb'), fc.integer())),
          withField(valid, 'metadata', fc.oneof(fc.constant([1]), fc.string(), fc.integer(), fc.constant(null))),
          withField(valid, 'webhook_url_override', fc.oneof(fc.constant('ftp://x'), fc.constant('nope'), fc.integer())),
          withField(valid, 'tags', fc.oneof(fc.constant({ '1bad': 'x' }), fc.constant({ a: '' }), fc.constant([]))),
          withField(valid, 'end_user', fc.oneof(fc.constant({}), fc.constant({ id: 'x', email: 'not-an-email' }), fc.constant({ id: 'x', extra: 1 }))),
          withField(valid, 'credentials', fc.constant({ ...valid.credentials, extra: 'x' })),
          withField(valid, 'credentials', fc.constant({ ...valid.credentials, expires_at: 'not a date' })),
          fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !(k in valid)), fc.jsonValue(), { minKeys: 1 }).map((extra) => ({ ...valid, ...extra })),
        ),
        async (body) => {
          const res = await importConnection(body);
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_body');
        },
      ),
      { numRuns: 60 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('GET /connections/{connectionId}', () => {
  beforeAll(async () => {
    await importConnection(
      oauth2('get-1', { metadata: { m: 1 }, connection_config: { subdomain: 'acme', refreshToken: 'cfg-rt', nested: [{ 'refresh-token': 'x', keep: 1 }] } }, { config_override: { client_id: 'cid' } }),
    );
    await importConnection({ provider_config_key: 'openai', connection_id: 'key-1', credentials: { type: 'API_KEY', apiKey: 'sk-get' } });
  });

  test('SDK getConnection: +00:00 timestamps, ISO Z inside credentials, refresh tokens stripped everywhere', async () => {
    const before = Date.now();
    const conn = (await nango.getConnection('github', 'get-1')) as unknown as Record<string, any>;
    expect(conn.created_at).toMatch(ISO_OFFSET);
    expect(conn.updated_at).toMatch(ISO_OFFSET);
    expect(conn.last_fetched_at).toMatch(ISO_OFFSET);
    expect(new Date(conn.last_fetched_at).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(conn.credentials).toEqual({
      type: 'OAUTH2',
      access_token: 'access-token-get-1',
      expires_at: '2031-01-02T03:04:05.000Z',
      config_override: { client_id: 'cid' },
      raw: { type: 'OAUTH2', access_token: 'access-token-get-1', expires_at: '2031-01-02T03:04:05.000Z', config_override: { client_id: 'cid' } },
    });
    expect(conn.connection_config).toEqual({ subdomain: 'acme', nested: [{ keep: 1 }] });
    expect(JSON.stringify(conn)).not.toContain('refresh-token-get-1');
    expect(conn).toMatchObject({ connection_id: 'get-1', provider_config_key: 'github', provider: 'github', metadata: { m: 1 }, errors: [], end_user: null });
  });

  test('refresh_token=true returns them; the other flags are accepted', async () => {
    const conn = (await nango.getConnection('github', 'get-1', false, true, true)) as unknown as Record<string, any>;
    expect(conn.credentials.refresh_token).toBe('refresh-token-get-1');
    expect(conn.credentials.raw.refresh_token).toBe('refresh-token-get-1');
    expect(conn.connection_config.refreshToken).toBe('cfg-rt');
  });

  test('getToken, getRawTokenResponse, getMetadata', async () => {
    expect(await nango.getToken('github', 'get-1')).toBe('access-token-get-1');
    expect(await nango.getToken('openai', 'key-1')).toEqual({ type: 'API_KEY', apiKey: 'sk-get' });
    const raw = await nango.getRawTokenResponse('github', 'get-1');
    expect(raw).toMatchObject({ access_token: 'access-token-get-1' });
    expect(raw).not.toHaveProperty('refresh_token');
    expect(await nango.getMetadata('github', 'get-1')).toEqual({ m: 1 });
  });

  test('errors: unknown provider_config_key 400, unknown connection 404', async () => {
    expect(await json(await t.api('/connections/get-1?provider_config_key=nope'))).toEqual({
      status: 400,
      body: { error: { code: 'unknown_provider_config', message: 'Provider does not exists' } },
    });
    expect(await json(await t.api('/connections/missing?provider_config_key=github'))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'Failed to find connection' } },
    });
    await expect(nango.getConnection('github', 'missing')).rejects.toMatchObject({ response: { status: 404 } });
  });

  test('a warm read costs ONE Data API statement and ZERO KMS calls', async () => {
    await nango.getConnection('github', 'get-1');
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    const conn = (await nango.getConnection('github', 'get-1')) as unknown as Record<string, any>;
    expect(conn.credentials.access_token).toBe('access-token-get-1');
    const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 1 });
    expect(sum(t.stack.kms.control.stats().calls)).toBe(0);
    // A miss is one statement too.
    t.stack.dataApi.control.resetStats();
    expect((await t.api('/connections/missing?provider_config_key=nope')).status).toBe(400);
    expect(sum(t.stack.dataApi.control.stats().calls)).toBe(1);
  });

  test('without read_credentials: credentials {}, refresh flags 403, last_fetched_at untouched', async () => {
    const key = await scopedKey('reader', ['environment:connections:read', 'environment:connections:list']);
    const reader = new Nango({ secretKey: key, host: t.baseUrl });
    const fetchedBefore = (await connectionRow('openai', 'key-1')).last_fetched_at;
    const conn = (await reader.getConnection('openai', 'key-1')) as unknown as Record<string, any>;
    expect(conn.credentials).toEqual({});
    expect(JSON.stringify(conn)).not.toContain('sk-get');
    expect((await connectionRow('openai', 'key-1')).last_fetched_at).toEqual(fetchedBefore);
    for (const flag of ['refresh_token', 'force_refresh', 'refresh_github_app_jwt_token']) {
      const res = await json(await t.api(`/connections/key-1?provider_config_key=openai&${flag}=true`, { key }));
      expect(res).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:connections:read_credentials' } } });
    }
    const noRead = await scopedKey('lister', ['environment:connections:list']);
    expect((await t.api('/connections/key-1?provider_config_key=openai', { key: noRead })).status).toBe(403);
  });

  test('bad queries are 400 invalid_query_params', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(''),
          fc.constant('provider_config_key='),
          fc.constant('provider_config_key=github&refresh_token=maybe'),
          fc.constant('provider_config_key=github&force_refresh=2'),
          fc.constant('provider_config_key=github&provider_config_key=openai'),
          // `__proto__` and friends are dropped by the query parser (as Express's qs does), so they are not unknown keys.
          fc.stringMatching(/^[a-z][a-z_]{0,9}$/).filter((k) => !['provider_config_key', 'refresh_token', 'force_refresh', 'refresh_github_app_jwt_token'].includes(k)).map((k) => `provider_config_key=github&${k}=1`),
        ),
        async (query) => {
          const res = await json(await t.api(`/connections/get-1?${query}`));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_query_params');
        },
      ),
      { numRuns: 30 },
    );
  });

  test('an envelope pasted into another row does not open: 500 without any secret', async () => {
    await importConnection(oauth2('victim'));
    await importConnection(oauth2('thief'));
    const victim = await connectionRow('github', 'victim');
    const thief = await connectionRow('github', 'thief');
    await database().execute('UPDATE connections SET credentials = :credentials WHERE id = :id', { credentials: victim.credentials, id: uuid(thief.id) });
    const res = await t.api('/connections/thief?provider_config_key=github&refresh_token=true');
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toEqual({ error: { code: 'server_error', message: 'The stored credentials of this connection could not be decrypted' } });
    expect(text).not.toContain('access-token-victim');
    expect(text).not.toContain('access-token-thief');
    // The original still opens; a key without the credentials scope still reads the rest.
    expect(await nango.getToken('github', 'victim')).toBe('access-token-victim');
    const narrow = await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'no-credentials', scopes: ['environment:connections:read'] } });
    const narrowKey = ((await narrow.json()) as { data: { secret: string } }).data.secret;
    t.secrets.register(narrowKey);
    const rest = await t.api('/connections/thief?provider_config_key=github', { key: narrowKey });
    const restText = await rest.text();
    expect(rest.status).toBe(200);
    expect(JSON.parse(restText)).toMatchObject({ connection_id: 'thief', provider_config_key: 'github' });
    expect(restText).not.toContain('access-token-victim');
    expect(restText).not.toContain('access-token-thief');
  });
});

describe('GET /connections (list)', () => {
  beforeAll(async () => {
    await importConnection(oauth2('list-a', { tags: { team: 'red' }, end_user: { id: 'lu-1', display_name: 'Lou', organization: { id: 'lorg' } } }));
    await importConnection({ provider_config_key: 'openai', connection_id: 'list-b', credentials: { type: 'API_KEY', apiKey: 'sk-list' }, tags: { team: 'blue' } });
    await importConnection(oauth2('list-c', { tags: { team: 'red', tier: 'x' } }));
  });

  test('SDK listConnections: public shape, creation order, ISO Z `created`, no credentials', async () => {
    const { connections } = await nango.listConnections();
    const ids = connections.map((c) => c.connection_id);
    expect(ids.indexOf('list-a')).toBeLessThan(ids.indexOf('list-b'));
    expect(ids.indexOf('list-b')).toBeLessThan(ids.indexOf('list-c'));
    const a = connections.find((c) => c.connection_id === 'list-a') as unknown as Record<string, unknown>;
    expect(Object.keys(a).sort()).toEqual(['connection_id', 'created', 'end_user', 'errors', 'id', 'metadata', 'provider', 'provider_config_key', 'tags']);
    expect(a.created).toMatch(ISO_Z);
    expect(typeof a.id).toBe('number');
    expect(JSON.stringify(connections)).not.toMatch(/access-token-list|sk-list|refresh-token-list/);
    const seqs = connections.map((c) => c.id as number);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  test('the tags filter follows every change of tags: PATCH, end user tags, delete, re-import', async () => {
    const tagged = async (tags: Record<string, string>) =>
      (await nango.listConnections({ tags })).connections.map((c) => c.connection_id).filter((id) => id.startsWith('tagflow-'));
    const key = { connectionId: 'tagflow-1', provider_config_key: 'github' };
    await importConnection(oauth2('tagflow-1', { tags: { stage: 'one' } }));
    expect(await tagged({ stage: 'one' })).toEqual(['tagflow-1']);
    await nango.patchConnection(key, { tags: { stage: 'two', note: 'a=b' } });
    expect(await tagged({ stage: 'one' })).toEqual([]);
    expect(await tagged({ stage: 'two', note: 'a=b' })).toEqual(['tagflow-1']);
    expect(await tagged({ stage: 'two', note: 'a' })).toEqual([]);
    await nango.patchConnection(key, { end_user: { id: 'tf-user', email: 'tf@example.com' } });
    expect(await tagged({ stage: 'two', end_user_email: 'tf@example.com' })).toEqual(['tagflow-1']);
    await nango.deleteConnection('github', 'tagflow-1');
    expect(await tagged({ stage: 'two' })).toEqual([]);
    await importConnection(oauth2('tagflow-1', { tags: { stage: 'two' } }));
    expect(await tagged({ stage: 'two' })).toEqual(['tagflow-1']);
    expect(await tagged({ stage: 'two', end_user_email: 'tf@example.com' })).toEqual([]);
  });

  test('filters: connectionId, search, endUserId, endUserOrganizationId, integrationId, tags, limit/page', async () => {
    const ids = (r: { connections: { connection_id: string }[] }) => r.connections.map((c) => c.connection_id);
    expect(ids(await nango.listConnections('list-b'))).toEqual(['list-b']);
    expect(ids(await nango.listConnections(undefined, 'LIST-'))).toEqual(['list-a', 'list-b', 'list-c']);
    expect(ids(await nango.listConnections({ userId: 'lu-1' }))).toEqual(['list-a']);
    expect(ids(await nango.listConnections(undefined, undefined, { endUserOrganizationId: 'lorg' }))).toEqual(['list-a']);
    expect(ids(await nango.listConnections({ integrationId: ['openai', 'twilio'], tags: { team: 'blue' } }))).toEqual(['list-b']);
    expect(ids(await nango.listConnections({ tags: { Team: 'red' } })).filter((id) => id.startsWith('list-'))).toEqual(['list-a', 'list-c']);
    expect(ids(await nango.listConnections({ tags: { team: 'red', tier: 'x' } }))).toEqual(['list-c']);
    const all = ids(await nango.listConnections());
    expect(ids(await nango.listConnections({ limit: 2 }))).toEqual(all.slice(0, 2));
    expect(ids(await nango.listConnections(undefined, undefined, { limit: 2, page: 1 }))).toEqual(all.slice(2, 4));
    expect(ids(await json(await t.api('/connections?integrationId=github,%20openai&search=list')).then((r) => r.body))).toEqual(['list-a', 'list-b', 'list-c']);
  });

  test('tag filters and provider config keys follow the domain schemas: what cannot be stored is 400 invalid_query_params, not an empty answer', async () => {
    const tooMany = Array.from({ length: 11 }, (_, i) => `tags[t${i}]=v`).join('&');
    for (const path of ['/connections?tags[1team]=red', '/connections?tags[team]=', `/connections?${tooMany}`, '/connections/get-1?provider_config_key=git%2Fhub']) {
      const res = await json(await t.api(path));
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 400, code: 'invalid_query_params' });
    }
  });

  test('bad queries are 400 invalid_query_params', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ max: 0 }).map((n) => `limit=${n}`),
          fc.integer({ min: 10_001 }).map((n) => `limit=${n}`),
          fc.string({ maxLength: 40 }).map((c) => `cursor=${encodeURIComponent(c)}`),
          fc.constant(`cursor=${Buffer.from('s1:0').toString('base64url')}`),
          fc.constant(`cursor=${Buffer.from('s1:12').toString('base64url')}&page=1`),
          fc.constant('limit=abc'),
          fc.constant('limit=1.5'),
          fc.integer({ max: -1 }).map((n) => `page=${n}`),
          fc.constant('search='),
          fc.constant(`search=${'x'.repeat(256)}`),
          fc.constant('tags=flat'),
          fc.constant('tags[a][b]=c'),
          fc.constant('limit=1&limit=2'),
          fc.stringMatching(/^[a-z]{1,8}$/).filter((k) => !['search', 'tags', 'limit', 'page', 'cursor'].includes(k)).map((k) => `${k}=1`),
        ),
        async (query) => {
          const res = await json(await t.api(`/connections?${query}`));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_query_params');
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('PATCH and DELETE /connections/{connectionId} (ids the SDK does not encode)', () => {
  const odd = 'team a&b=c';

  beforeAll(async () => {
    expect((await importConnection({ ...oauth2(odd), provider_config_key: 'my github' })).status).toBe(201);
    await importConnection(oauth2('patch-1', { tags: { old: 'x' } }));
  });

  test('patchConnection with spaces and & in the ids', async () => {
    await expect(nango.patchConnection({ connectionId: odd, provider_config_key: 'my github' }, { tags: { fresh: 'y' } })).resolves.toEqual({ success: true });
    const conn = (await nango.getConnection('my github', odd)) as unknown as Record<string, any>;
    expect(conn.tags).toEqual({ fresh: 'y' });
  });

  test('end_user is linked and its tags merged; given tags win; webhook_url_override set and cleared', async () => {
    await nango.patchConnection(
      { connectionId: 'patch-1', provider_config_key: 'github' },
      { end_user: { id: 'pu-1', email: 'p@example.com' }, webhook_url_override: 'https://hooks.example.com/p' },
    );
    let conn = (await nango.getConnection('github', 'patch-1')) as unknown as Record<string, any>;
    expect(conn.end_user).toMatchObject({ id: 'pu-1', email: 'p@example.com' });
    expect(conn.tags).toEqual({ old: 'x', end_user_id: 'pu-1', end_user_email: 'p@example.com' });
    expect(conn.webhook_url_override).toBe('https://hooks.example.com/p');
    await nango.patchConnection({ connectionId: 'patch-1', provider_config_key: 'github' }, { end_user: { id: 'pu-2' }, tags: { end_user_id: 'mine' }, webhook_url_override: '' });
    conn = (await nango.getConnection('github', 'patch-1')) as unknown as Record<string, any>;
    expect(conn.end_user.id).toBe('pu-2');
    expect(conn.tags).toEqual({ end_user_id: 'mine' });
    expect(conn.webhook_url_override).toBeNull();
  });

  test('errors: 400 unknown_provider_config, 404 not_found; a missing connection creates no end user', async () => {
    const before = await snapshot();
    expect(await json(await t.api('/connections/patch-1?provider_config_key=nope', { method: 'PATCH', json: { tags: { a: 'b' } } }))).toEqual({
      status: 400,
      body: { error: { code: 'unknown_provider_config', message: 'Provider does not exists' } },
    });
    expect(await json(await t.api('/connections/none?provider_config_key=github', { method: 'PATCH', json: { end_user: { id: 'ghost-user' } } }))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'Failed to find connection' } },
    });
    for (const body of [{ tags: [] }, { webhook_url_override: 'nope' }, { end_user: {} }, { other: 1 }]) {
      expect((await json(await t.api('/connections/patch-1?provider_config_key=github', { method: 'PATCH', json: body }))).body.error.code).toBe('invalid_body');
    }
    expect((await t.api('/connections/patch-1', { method: 'PATCH', json: {} })).status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  test('deleteConnection: 200, then invisible on every route; again → 400 unknown_connection without message', async () => {
    const res = await nango.deleteConnection('my github', odd);
    expect(res.status).toBe(200);
    expect(res.data).toEqual({ success: true });
    expect((await connectionRow('my github', odd)).deleted_at).toBeInstanceOf(Date);
    const q = `provider_config_key=${encodeURIComponent('my github')}`;
    const path = `/connections/${encodeURIComponent(odd)}`;
    expect((await t.api(`${path}?${q}`)).status).toBe(404);
    expect((await t.api(`${path}?${q}`, { method: 'PATCH', json: { tags: { a: 'b' } } })).status).toBe(404);
    expect((await t.api('/connections/metadata', { method: 'POST', json: { connection_id: odd, provider_config_key: 'my github', metadata: {} } })).status).toBe(404);
    expect((await nango.listConnections()).connections.map((c) => c.connection_id)).not.toContain(odd);
    expect(await json(await t.api(`${path}?${q}`, { method: 'DELETE' }))).toEqual({ status: 400, body: { error: { code: 'unknown_connection' } } });
    // The ids are free again.
    expect((await importConnection({ ...oauth2(odd), provider_config_key: 'my github' })).status).toBe(201);
  });
});

describe('POST/PATCH /connections/metadata', () => {
  beforeAll(async () => {
    await importConnection(oauth2('meta-1', { metadata: { a: 1, b: 1 } }));
    await importConnection(oauth2('meta-2', { metadata: { a: 2 } }));
  });

  test('setMetadata replaces (201) and updateMetadata merges (200); both echo the body', async () => {
    const set = await nango.setMetadata('github', 'meta-1', { c: 3 });
    expect(set.status).toBe(201);
    expect(set.data).toEqual({ metadata: { c: 3 }, connection_id: 'meta-1', provider_config_key: 'github' });
    expect(await nango.getMetadata('github', 'meta-1')).toEqual({ c: 3 });
    const upd = await nango.updateMetadata('github', ['meta-1', 'meta-2'], { d: 4 });
    expect(upd.status).toBe(200);
    expect(upd.data).toEqual({ metadata: { d: 4 }, connection_id: ['meta-1', 'meta-2'], provider_config_key: 'github' });
    expect(await nango.getMetadata('github', 'meta-1')).toEqual({ c: 3, d: 4 });
    expect(await nango.getMetadata('github', 'meta-2')).toEqual({ a: 2, d: 4 });
  });

  test('an unknown id is 404 and nothing is written (all or nothing), with Nango’s messages', async () => {
    const before = await snapshot();
    const one = await json(await t.api('/connections/metadata', { method: 'POST', json: { connection_id: 'nope', provider_config_key: 'github', metadata: { x: 1 } } }));
    expect(one).toEqual({
      status: 404,
      body: {
        error: {
          code: 'unknown_connection',
          message: 'Connection with connection id nope and provider config key github not found. Please make sure the connection exists in the Nango dashboard',
        },
      },
    });
    const many = await json(await t.api('/connections/metadata', { method: 'PATCH', json: { connection_id: ['meta-1', 'nope2', 'meta-2'], provider_config_key: 'github', metadata: { x: 1 } } }));
    expect(many.status).toBe(404);
    expect(many.body.error.message).toBe(
      'Connection with connection id nope2 and provider config key github not found. Please make sure the connection exists in the Nango dashboard. No actions were taken on any of the connections as a result of this failure.',
    );
    await expect(nango.setMetadata('github', ['meta-1', 'nope'], { y: 1 })).rejects.toMatchObject({ response: { status: 404 } });
    expect(await snapshot()).toEqual(before);
  });

  test('bad bodies are 400 and change nothing', async () => {
    const before = await snapshot();
    const valid = { connection_id: 'meta-1', provider_config_key: 'github', metadata: { a: 1 } };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          withField(valid, 'metadata', fc.oneof(fc.constant([1]), fc.string(), fc.constant(null), fc.integer())),
          withField(valid, 'connection_id', fc.oneof(fc.constant([]), fc.constant(''), fc.constant([1]), fc.integer())),
          withField(valid, 'provider_config_key', fc.oneof(fc.constant(''), fc.integer())),
          fc.constant({ connection_id: 'meta-1', metadata: {} }),
          fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !(k in valid)), fc.jsonValue(), { minKeys: 1 }).map((extra) => ({ ...valid, ...extra })),
        ),
        fc.constantFrom('POST', 'PATCH'),
        async (body, method) => {
          const res = await json(await t.api('/connections/metadata', { method, json: body }));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_body');
        },
      ),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
  });
});

describe('deprecated /connection paths', () => {
  test('list, get, import, metadata and delete answer like the canonical routes', async () => {
    expect((await json(await t.api('/connection', { method: 'POST', json: oauth2('alias-1') }))).status).toBe(201);
    expect((await json(await t.api('/connection'))).body.connections.map((c: { connection_id: string }) => c.connection_id)).toContain('alias-1');
    const got = await json(await t.api('/connection/alias-1?provider_config_key=github'));
    expect(got.status).toBe(200);
    expect(got.body.created_at).toMatch(ISO_OFFSET);
    expect((await t.api('/connection/metadata', { method: 'POST', json: { connection_id: 'alias-1', provider_config_key: 'github', metadata: { v: 1 } } })).status).toBe(201);
    expect((await t.api('/connection/metadata', { method: 'PATCH', json: { connection_id: 'alias-1', provider_config_key: 'github', metadata: { w: 2 } } })).status).toBe(200);
    expect(await nango.getMetadata('github', 'alias-1')).toEqual({ v: 1, w: 2 });
    expect((await t.api('/connection/alias-1?provider_config_key=github', { method: 'DELETE' })).status).toBe(200);
    expect((await t.api('/connection/alias-1?provider_config_key=github')).status).toBe(404);
  });
});

test('no credential reaches the logs or the audit log, even on failures', async () => {
  const secrets = ['access-token-LOGSECRET', 'refresh-token-LOGSECRET', 'api-key-LOGSECRET', 'extra-value-LOGSECRET'];
  t.secrets.register(...secrets); // checked again over every log line and audit event when the stack stops
  await importConnection(oauth2('logged', {}, { access_token: secrets[0], refresh_token: secrets[1] }));
  await nango.getConnection('github', 'logged', false, true);
  await importConnection({ provider_config_key: 'github', connection_id: 'logged-2', credentials: { type: 'API_KEY', apiKey: secrets[2] } });
  await importConnection({ ...oauth2('logged-3'), credentials: { type: 'OAUTH2', access_token: secrets[0], extra: secrets[3] } });
  // A decryption failure is logged, with the row id and the reason only.
  const source = await connectionRow('github', 'logged');
  const target = await connectionRow('github', 'imp-1');
  await database().execute('UPDATE connections SET credentials = :c WHERE id = :id', { c: source.credentials, id: uuid(target.id) });
  expect((await t.api('/connections/imp-1?provider_config_key=github')).status).toBe(500);
  const lines = t.logLines();
  expect(lines.some((line) => line.includes('could not be decrypted') && line.includes(target.id))).toBe(true);
  const audit = JSON.stringify(await database().query('SELECT * FROM audit_events'));
  for (const secret of secrets) {
    expect(lines.join('\n')).not.toContain(secret);
    expect(audit).not.toContain(secret);
  }
});

describe('audit events', () => {
  test('import, credential reads, update, metadata and delete are audited with the row id; misses and plain reads are not', async () => {
    await importConnection(oauth2('audited'));
    const row = await connectionRow('github', 'audited');
    await nango.getConnection('github', 'audited');
    const reader = await scopedKey('audit-reader', ['environment:connections:read']);
    await new Nango({ secretKey: reader, host: t.baseUrl }).getConnection('github', 'audited');
    await nango.patchConnection({ connectionId: 'audited', provider_config_key: 'github' }, { tags: { a: 'b' } });
    await nango.setMetadata('github', 'audited', { m: 1 });
    await t.api('/connections/audited?provider_config_key=nope', { method: 'PATCH', json: { tags: { a: 'b' } } });
    await t.api('/connections/metadata', { method: 'POST', json: { connection_id: ['audited', 'missing'], provider_config_key: 'github', metadata: {} } });
    await nango.deleteConnection('github', 'audited');
    await t.api('/connections/audited?provider_config_key=github', { method: 'DELETE' });
    const all = await database().query<{ action: string; actor_type: string; target_type: string; detail: Record<string, unknown> }>(
      "SELECT action, actor_type, target_type, detail FROM audit_events WHERE target_id = :id ORDER BY occurred_at, action",
      { id: row.id },
    );
    // The import handed the credentials back to a key that may read them: that is a read too.
    expect(all.filter((e) => e.detail.via === 'import').map((e) => e.action)).toEqual(['connection.credentials.read']);
    const events = all.filter((e) => e.detail.via !== 'import');
    expect(events.map((e) => e.action)).toEqual(['connection.import', 'connection.credentials.read', 'connection.update', 'connection.metadata.update', 'connection.delete']);
    expect(events.every((e) => e.actor_type === 'secret_key' && e.target_type === 'connection')).toBe(true);
    expect(events[0].detail).toEqual({ provider_config_key: 'github', connection_id: 'audited', operation: 'creation', credentials_type: 'OAUTH2' });
    expect(events[1].detail).toEqual({ provider_config_key: 'github', connection_id: 'audited', refresh_token: false });
    expect(events[2].detail).toEqual({ provider_config_key: 'github', connection_id: 'audited', fields: ['tags'] });
    expect(events[3].detail).toEqual({ provider_config_key: 'github', connection_ids: ['audited'], mode: 'replace' });
    expect(JSON.stringify(events)).not.toContain('access-token');
  });
});

test('the OpenAPI document describes every connection route', async () => {
  const doc = (await json(await t.api('/openapi.json'))).body as { paths: Record<string, Record<string, unknown>> };
  expect(Object.keys(doc.paths['/connections']).sort()).toEqual(['get', 'post']);
  expect(Object.keys(doc.paths['/connections/{connectionId}']).sort()).toEqual(['delete', 'get', 'patch']);
  expect(Object.keys(doc.paths['/connections/metadata']).sort()).toEqual(['patch', 'post']);
  expect(Object.keys(doc.paths['/connection/{connectionId}']).sort()).toEqual(['delete', 'get']);
});

describe('round trips per request (warm)', () => {
  test('list 1, import 2, patch 1 (4 with an end user: one transaction), delete 1, metadata 1; no KMS call', async () => {
    await importConnection(oauth2('cost-1'));
    const cost = async (path: string, init: Parameters<TestStack['api']>[1] = {}) => {
      await t.api('/connections?limit=1'); // keeps the key cached
      t.stack.dataApi.control.resetStats();
      t.stack.kms.control.resetStats();
      const res = await t.api(path, init);
      expect(res.status).toBeLessThan(300);
      const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
      return { statements: sum(t.stack.dataApi.control.stats().calls), kms: sum(t.stack.kms.control.stats().calls) };
    };
    expect(await cost('/connections?tags[team]=red')).toEqual({ statements: 1, kms: 0 });
    expect(await cost('/connections', { method: 'POST', json: oauth2('cost-1') })).toEqual({ statements: 2, kms: 0 });
    expect(await cost('/connections/cost-1?provider_config_key=github', { method: 'PATCH', json: { tags: { a: 'b' } } })).toEqual({ statements: 1, kms: 0 });
    expect(await cost('/connections/cost-1?provider_config_key=github', { method: 'PATCH', json: { end_user: { id: 'cost-user' } } })).toEqual({ statements: 4, kms: 0 });
    expect(await cost('/connections/metadata', { method: 'PATCH', json: { connection_id: 'cost-1', provider_config_key: 'github', metadata: { a: 1 } } })).toEqual({ statements: 1, kms: 0 });
    expect(await cost('/connections/cost-1?provider_config_key=github', { method: 'DELETE' })).toEqual({ statements: 1, kms: 0 });
  });
});

describe('isolation and authentication', () => {
  test("the prod key finds none of dev's connections on any route", async () => {
    await importConnection(oauth2('iso-1', { metadata: { dev: true } }));
    const prod = new Nango({ secretKey: t.prodKey, host: t.baseUrl });
    const before = await snapshot();
    expect((await prod.listConnections()).connections.map((c) => c.connection_id)).not.toContain('iso-1');
    expect(axiosStatus(await prod.getConnection('github', 'iso-1').catch((e) => e)).status).toBe(404);
    expect(axiosStatus(await prod.getConnection('openai', 'key-1').catch((e) => e))).toEqual({
      status: 400,
      data: { error: { code: 'unknown_provider_config', message: 'Provider does not exists' } },
    });
    expect(axiosStatus(await prod.patchConnection({ connectionId: 'iso-1', provider_config_key: 'github' }, { tags: { a: 'b' } }).catch((e) => e)).status).toBe(404);
    expect(axiosStatus(await prod.setMetadata('github', 'iso-1', { x: 1 }).catch((e) => e)).status).toBe(404);
    expect(axiosStatus(await prod.updateMetadata('github', 'iso-1', { x: 1 }).catch((e) => e)).status).toBe(404);
    expect(axiosStatus(await prod.deleteConnection('github', 'iso-1').catch((e) => e))).toEqual({ status: 400, data: { error: { code: 'unknown_connection' } } });
    expect(await snapshot()).toEqual(before);
    expect(await nango.getMetadata('github', 'iso-1')).toEqual({ dev: true });
  });

  test('connect session tokens and missing keys are refused on every connection route', async () => {
    const token = `nango_connect_session_${'ab'.repeat(32)}`;
    const calls: [string, string][] = [
      ['GET', '/connections'],
      ['GET', '/connections/iso-1?provider_config_key=github'],
      ['POST', '/connections'],
      ['PATCH', '/connections/iso-1?provider_config_key=github'],
      ['DELETE', '/connections/iso-1?provider_config_key=github'],
      ['POST', '/connections/metadata'],
      ['PATCH', '/connections/metadata'],
    ];
    for (const [method, path] of calls) {
      const withToken = await t.api(path, { method, headers: { authorization: `Bearer ${token}` }, key: null, json: method === 'GET' || method === 'DELETE' ? undefined : {} });
      expect(withToken.status).toBe(401);
      expect((await t.api(path, { method, key: null })).status).toBe(401);
    }
  });

  test('the import needs environment:connections:create', async () => {
    const key = await scopedKey('no-create', ['environment:connections:list']);
    const res = await importConnection(oauth2('scoped'), key);
    expect(res).toEqual({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:connections:create' } } });
  });
});
