import { database } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import { CustomProviderSchema } from '../../../../../lambdas/providers/provider-schema';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

let t: TestStack;
let nango: Nango;
beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
});
afterAll(() => t.stop());

/** A provider that points at a loopback OAuth server, as the connect-flow tests use. */
const LOOPBACK = {
  display_name: 'Loopback OAuth',
  categories: ['dev-tools'],
  auth_mode: 'OAUTH2',
  authorization_url: 'http://127.0.0.1:9999/auth',
  token_url: 'http://127.0.0.1:9999/token',
  allow_private_network: true,
  proxy: { base_url: 'http://127.0.0.1:9999/api' },
};

const providerCount = async () => (await database().query<{ n: number }>('SELECT count(*)::int AS n FROM providers'))[0].n;

describe('catalog through the Nango SDK', () => {
  test('listProviders returns the catalog in the public shape', async () => {
    const res = await nango.listProviders({});
    const names = res.data.map((p) => p.name);
    expect(names.length).toBeGreaterThanOrEqual(40);
    expect(names).toEqual(expect.arrayContaining(['github', 'google-mail', 'slack', 'salesforce', 'openai']));
    expect(res.data.find((p) => p.name === 'slack')).toMatchObject({ display_name: 'Slack', auth_mode: 'OAUTH2' });
  });

  test('listProviders filters with search', async () => {
    const res = await nango.listProviders({ search: 'goog' });
    expect(res.data.length).toBeGreaterThan(0);
    expect(res.data.every((p) => `${p.name} ${p.display_name}`.toLowerCase().includes('goog'))).toBe(true);
  });

  test('getProvider returns one provider; an unknown one is 404', async () => {
    expect((await nango.getProvider({ provider: 'github' })).data).toMatchObject({ name: 'github', auth_mode: 'OAUTH2' });
    const missing = await readJson(await t.api('/providers/no-such-provider'));
    expect(missing).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Provider "no-such-provider" does not exist' } } });
  });
});

describe('custom providers (our extension)', () => {
  test('PUT creates (201) then replaces (200); the provider is visible only in its environment', async () => {
    expect((await t.api('/providers/loopback', { method: 'PUT', json: LOOPBACK })).status).toBe(201);
    const replaced = await readJson(await t.api('/providers/loopback', { method: 'PUT', json: { ...LOOPBACK, display_name: 'Loopback 2' } }));
    expect(replaced.status).toBe(200);
    expect(replaced.body.data).toMatchObject({ name: 'loopback', display_name: 'Loopback 2', custom: true });
    expect((await t.api('/providers/loopback')).status).toBe(200);
    expect((await t.api('/providers/loopback', { key: t.prodKey })).status).toBe(404);
    expect((await nango.listProviders({})).data.map((p) => p.name)).toContain('loopback');
  });

  test('catalog names are reserved, and private addresses need allow_private_network', async () => {
    const reserved = await readJson(await t.api('/providers/github', { method: 'PUT', json: LOOPBACK }));
    expect([reserved.status, reserved.body.error.code]).toEqual([409, 'conflict']);
    const { allow_private_network: _allowed, ...strict } = LOOPBACK;
    const refused = await readJson(await t.api('/providers/private-one', { method: 'PUT', json: strict }));
    expect([refused.status, refused.body.error.code]).toEqual([400, 'invalid_body']);
    expect(refused.body.error.errors.length).toBeGreaterThan(0);
  });

  test('bad definitions are 400 and store nothing', async () => {
    const before = await providerCount();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(fc.string(), fc.jsonValue()),
          fc.string().filter((mode) => !['OAUTH2', 'OAUTH1', 'API_KEY', 'BASIC', 'NONE', 'OAUTH2_CC', 'APP', 'CUSTOM', 'TBA', 'JWT'].includes(mode)).map((mode) => ({ ...LOOPBACK, auth_mode: mode })),
          fc.constant({ ...LOOPBACK, token_url: 'not a url' }),
          fc.constant({ ...LOOPBACK, unknown_field: 1 }),
        ),
        async (definition) => {
          const res = await t.api('/providers/fuzzed', { method: 'PUT', json: definition });
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 30 },
    );
    expect(await providerCount()).toBe(before);
  });

  test('DELETE removes it; a second delete is 404; every change is audited', async () => {
    await t.api('/providers/short-lived', { method: 'PUT', json: LOOPBACK });
    expect((await t.api('/providers/short-lived', { method: 'DELETE' })).status).toBe(200);
    expect((await t.api('/providers/short-lived', { method: 'DELETE' })).status).toBe(404);
    const events = await readJson(await t.api('/audit-events?target_type=provider&target_id=short-lived'));
    expect(events.body.data.map((e: { action: string }) => e.action)).toEqual(['provider.delete', 'provider.put']);
  });

  test('a connect session token may read providers but not change them', async () => {
    const res = await t.api('/providers/loopback', { method: 'PUT', key: `nango_connect_session_${'0'.repeat(64)}`, json: LOOPBACK });
    expect(res.status).toBe(401);
  });
});

/** A custom provider that sets every field a definition has (the test checks it stays so). */
const EVERYTHING = {
  display_name: 'Everything',
  categories: ['dev-tools', 'support'],
  docs: 'https://docs.example.com/everything',
  docs_connect: 'https://docs.example.com/everything/connect',
  setup_guide_url: 'https://docs.example.com/everything/setup',
  auth_mode: 'OAUTH2',
  authorization_url: 'http://127.0.0.1:9999/authorize',
  request_url: 'http://127.0.0.1:9999/request',
  token_url: 'http://127.0.0.1:9999/token',
  refresh_url: 'http://127.0.0.1:9999/refresh',
  authorization_params: { prompt: 'consent', audience: 'api' },
  token_params: { grant_type: 'authorization_code' },
  refresh_params: { grant_type: 'refresh_token' },
  authorization_url_skip_encode: ['scopes'],
  authorization_url_skip_empty: true,
  authorization_url_fragment: 'section',
  authorization_url_replacements: { '%20': '+' },
  scope_separator: ',',
  default_scopes: ['read', 'write'],
  disable_pkce: true,
  signature_method: 'HMAC-SHA256',
  authorization_method: 'header',
  body_format: 'json',
  token_request_auth_method: 'basic',
  token_response_metadata: ['team.id'],
  redirect_uri_metadata: ['realmId'],
  alternate_access_token_response_path: 'authed_user',
  authorization_code_param_in_callback: 'code',
  token_expiration_buffer: 300,
  connection_config: {
    region: {
      type: 'string',
      title: 'Region',
      description: 'Where your account lives',
      example: 'eu',
      pattern: '^[a-z]{2}$',
      format: 'hostname',
      enum: ['eu', 'us'],
      optional: false,
      automated: false,
      hidden: false,
      default_value: 'eu',
      prefix: 'r-',
      suffix: '-x',
      doc_section: '#region',
    },
  },
  credentials: { client_hint: { type: 'string', title: 'Client hint', secret: true, optional: true } },
  proxy: {
    base_url: 'http://127.0.0.1:9999/api',
    headers: { 'x-region': '${connectionConfig.region}', authorization: 'Bearer ${accessToken}' },
    query: { version: '2' },
    verification: { method: 'GET', endpoints: ['/me', '/status'], headers: { accept: 'application/json' }, base_url_override: 'http://127.0.0.1:9999/verify' },
    retry: { at: 'x-ratelimit-reset', after: 'retry-after', remaining: 'x-ratelimit-remaining', error_code: [429, 503] },
    decompress: true,
  },
  allow_private_network: true,
};

describe('what was stored', () => {
  test('PUT with every field, GET it back: the whole definition, deep-equal, for a secret key', async () => {
    expect(Object.keys(EVERYTHING).sort()).toEqual(Object.keys(CustomProviderSchema.shape).sort());
    const put = await readJson(await t.api('/providers/everything', { method: 'PUT', json: EVERYTHING }));
    expect(put.status).toBe(201);
    expect(put.body.data).toEqual({ name: 'everything', ...EVERYTHING, custom: true });
    const got = await readJson(await t.api('/providers/everything'));
    expect(got.status).toBe(200);
    expect(got.body.data).toEqual({ name: 'everything', ...EVERYTHING, custom: true });
    // Defaults are shown as applied.
    const minimal = await readJson(await t.api('/providers/minimal', { method: 'PUT', json: LOOPBACK }));
    expect(minimal.body.data).toMatchObject({ scope_separator: ' ', allow_private_network: true, proxy: LOOPBACK.proxy });
    // A catalog provider: its whole entry too.
    expect((await readJson(await t.api('/providers/openai'))).body.data.proxy.headers).toBeDefined();
  });

  test('an end user (connect session) still sees only the public fields; the list keeps the shape the SDK reads', async () => {
    await t.api('/providers/everything', { method: 'PUT', json: EVERYTHING });
    const session = await readJson(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'provider-reader' } } }));
    const token: string = session.body.data.token;
    t.secrets.register(token);
    const seen = await readJson(await t.api('/providers/everything', { key: token }));
    expect(seen.status).toBe(200);
    expect(seen.body.data).toEqual({
      name: 'everything',
      display_name: 'Everything',
      auth_mode: 'OAUTH2',
      categories: ['dev-tools', 'support'],
      docs: EVERYTHING.docs,
      docs_connect: EVERYTHING.docs_connect,
      setup_guide_url: EVERYTHING.setup_guide_url,
      scope_separator: ',',
      default_scopes: ['read', 'write'],
      connection_config: EVERYTHING.connection_config,
      credentials: EVERYTHING.credentials,
      custom: true,
    });
    const listed = (await nango.listProviders({})).data.find((p) => p.name === 'everything');
    expect(listed).toEqual(seen.body.data);
  });
});
