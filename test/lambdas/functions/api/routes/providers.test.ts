import { database } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import fc from 'fast-check';
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
