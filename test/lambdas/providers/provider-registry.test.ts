import { migrate } from '../../../lambdas/platform/db/migrator';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { runInRequestScope, RequestScope } from '../../../lambdas/platform/observability/request-scope';
import { CATALOG } from '../../../lambdas/providers/catalog';
import { ProviderRegistryError } from '../../../lambdas/providers/errors';
import { ProviderRegistry } from '../../../lambdas/providers/provider-registry';
import { startDataApi, type DataApiFixture } from '../../support/data-api';

let f: DataApiFixture;
let envA: string;
let envB: string;
const registry = new ProviderRegistry();

const internalApi = {
  display_name: 'Internal API',
  categories: ['dev-tools'],
  auth_mode: 'API_KEY',
  allow_private_network: true,
  proxy: { base_url: 'http://10.0.0.5:8080', headers: { 'x-api-key': '${apiKey}' } },
};

beforeAll(async () => {
  f = await startDataApi();
  await migrate(f.db);
  const rows = await f.db.query<{ id: string; name: string }>('SELECT id::text AS id, name FROM environments ORDER BY name');
  [envA, envB] = [rows.find((r) => r.name === 'dev')!.id, rows.find((r) => r.name === 'prod')!.id];
});
afterAll(() => f.stop());
beforeEach(() => f.db.query('DELETE FROM providers'));

async function statements<T>(work: () => Promise<T>): Promise<number> {
  const scope = new RequestScope();
  await runInRequestScope(work, scope);
  return scope.dbStatements;
}

describe('ProviderRegistry', () => {
  test('catalog providers resolve without touching the database', async () => {
    let found: Awaited<ReturnType<ProviderRegistry['get']>> = null;
    expect(await statements(async () => (found = await registry.get(f.db, envA, 'slack')))).toBe(0);
    expect(found).toEqual({ name: 'slack', provider: CATALOG.slack, custom: false });
  });

  test('putCustom creates then updates, and get returns the validated definition', async () => {
    const created = await registry.putCustom(f.db, envA, 'internal-api', internalApi);
    expect(created.created).toBe(true);
    expect(created.provider).toMatchObject({ name: 'internal-api', custom: true, provider: { ...internalApi, scope_separator: ' ' } });
    expect(created.provider.created_at).toBeInstanceOf(Date);

    const updated = await registry.putCustom(f.db, envA, 'internal-api', { ...internalApi, display_name: 'Internal API v2' });
    expect(updated.created).toBe(false);
    expect(updated.provider.updated_at!.getTime()).toBeGreaterThanOrEqual(created.provider.updated_at!.getTime());

    const got = await registry.get(f.db, envA, 'internal-api');
    expect(got).toMatchObject({ name: 'internal-api', custom: true, provider: { display_name: 'Internal API v2', allow_private_network: true } });
    expect(await f.db.query('SELECT count(*)::int AS n FROM providers')).toEqual([{ n: 1 }]);
  });

  test('putCustom is one statement', async () => {
    expect(await statements(() => registry.putCustom(f.db, envA, 'one', internalApi))).toBe(1);
  });

  test('custom providers are invisible from other environments', async () => {
    await registry.putCustom(f.db, envA, 'internal-api', internalApi);
    expect(await registry.get(f.db, envB, 'internal-api')).toBeNull();
    expect(((await registry.list(f.db, envB, undefined, undefined, 10_000)).rows).some((p) => p.name === 'internal-api')).toBe(false);
    expect(((await registry.list(f.db, envA, undefined, undefined, 10_000)).rows).some((p) => p.name === 'internal-api')).toBe(true);
    expect(await registry.deleteCustom(f.db, envB, 'internal-api')).toBe(false);
    expect(await registry.get(f.db, envA, 'internal-api')).not.toBeNull();
    // The same name may exist in both environments independently.
    await registry.putCustom(f.db, envB, 'internal-api', { ...internalApi, display_name: 'B' });
    expect((await registry.get(f.db, envA, 'internal-api'))!.provider.display_name).toBe('Internal API');
    expect((await registry.get(f.db, envB, 'internal-api'))!.provider.display_name).toBe('B');
  });

  test('catalog names cannot be taken, replaced or deleted', async () => {
    await expect(registry.putCustom(f.db, envA, 'slack', internalApi)).rejects.toMatchObject({ reason: 'provider_name_reserved' });
    await expect(registry.deleteCustom(f.db, envA, 'slack')).rejects.toMatchObject({ reason: 'provider_name_reserved' });
    expect((await registry.get(f.db, envA, 'slack'))!.custom).toBe(false);
  });

  test('a catalog name stored before it joined the catalog stays unreachable (no shadowing)', async () => {
    await f.db.query('INSERT INTO providers (environment_id, name, definition) VALUES (:env, :name, :definition)', {
      env: uuid(envA), name: 'github', definition: { ...internalApi, display_name: 'Not GitHub' },
    });
    expect((await registry.get(f.db, envA, 'github'))!.provider).toBe(CATALOG.github);
    expect(((await registry.list(f.db, envA, undefined, undefined, 10_000)).rows).filter((p) => p.name === 'github')).toEqual([{ name: 'github', provider: CATALOG.github, custom: false }]);
  });

  test('invalid names and definitions are refused with their issues, and nothing is written', async () => {
    await expect(registry.putCustom(f.db, envA, 'Bad Name', internalApi)).rejects.toMatchObject({ reason: 'invalid_provider_name' });
    const err = await registry.putCustom(f.db, envA, 'ok', { ...internalApi, allow_private_network: false, extra: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderRegistryError);
    expect(err).toMatchObject({ reason: 'invalid_provider', issues: [{ path: [], code: 'unrecognized_keys', message: 'Unrecognized key: "extra"' }] });
    const http = await registry.putCustom(f.db, envA, 'ok', { ...internalApi, allow_private_network: false }).catch((e: unknown) => e);
    expect(http).toMatchObject({ reason: 'invalid_provider', issues: [{ path: ['proxy', 'base_url'], message: 'must use https (http needs allow_private_network)' }, { path: ['proxy', 'base_url'] }] });
    await expect(registry.putCustom(f.db, envA, 'ok', 'not an object')).rejects.toMatchObject({ reason: 'invalid_provider' });
    expect(await f.db.query('SELECT count(*)::int AS n FROM providers')).toEqual([{ n: 0 }]);
  });

  test('size and count caps', async () => {
    const small = new ProviderRegistry({ maxCustomProviders: 2, maxDefinitionBytes: 1024 });
    await expect(small.putCustom(f.db, envA, 'big', { ...internalApi, display_name: 'x'.repeat(200), categories: Array(15).fill('a'.repeat(60)) })).rejects.toMatchObject({ reason: 'provider_too_large' });
    await small.putCustom(f.db, envA, 'p1', internalApi);
    await small.putCustom(f.db, envA, 'p2', internalApi);
    await expect(small.putCustom(f.db, envA, 'p3', internalApi)).rejects.toMatchObject({ reason: 'too_many_providers' });
    // Replacing one at the cap still works, and the other environment has its own allowance.
    await expect(small.putCustom(f.db, envA, 'p2', { ...internalApi, display_name: 'P2' })).resolves.toMatchObject({ created: false });
    await expect(small.putCustom(f.db, envB, 'p3', internalApi)).resolves.toMatchObject({ created: true });
  });

  test('list merges catalog and custom, sorted, with search on name and display name', async () => {
    await registry.putCustom(f.db, envA, 'zz-internal', internalApi);
    await registry.putCustom(f.db, envA, 'acme', { ...internalApi, display_name: 'Slackish Chat' });
    const all = (await registry.list(f.db, envA, undefined, undefined, 10_000)).rows;
    expect(all.length).toBe(Object.keys(CATALOG).length + 2);
    expect(all.map((p) => p.name)).toEqual([...all.map((p) => p.name)].sort());
    expect(all.find((p) => p.name === 'acme')!.custom).toBe(true);

    const slack = (await registry.list(f.db, envA, '  SLACK ', undefined, 10_000)).rows;
    expect(slack.map((p) => [p.name, p.custom])).toEqual([['acme', true], ['slack', false]]);
    expect(((await registry.list(f.db, envA, 'google', undefined, 10_000)).rows).map((p) => p.name)).toEqual(expect.arrayContaining(['google', 'google-mail', 'google-sheet']));
    expect((await registry.list(f.db, envA, 'no-such-thing', undefined, 10_000)).rows).toEqual([]);
    // LIKE wildcards are plain characters.
    expect((await registry.list(f.db, envA, '%', undefined, 10_000)).rows).toEqual([]);
    expect(((await registry.list(f.db, envA, '_', undefined, 10_000)).rows).map((p) => p.name)).toEqual([]);
  });

  test('list is one statement', async () => {
    expect(await statements(() => registry.list(f.db, envA, 'x', undefined, 10_000))).toBe(1);
  });

  test('deleteCustom: true once, then false; refused while a live integration uses it', async () => {
    await registry.putCustom(f.db, envA, 'internal-api', internalApi);
    await f.db.query("INSERT INTO integrations (environment_id, unique_key, provider) VALUES (:env, 'int-1', 'internal-api')", { env: uuid(envA) });
    await expect(registry.deleteCustom(f.db, envA, 'internal-api')).rejects.toMatchObject({ reason: 'provider_in_use' });
    await f.db.query("UPDATE integrations SET deleted_at = now() WHERE unique_key = 'int-1'");
    expect(await registry.deleteCustom(f.db, envA, 'internal-api')).toBe(true);
    expect(await registry.deleteCustom(f.db, envA, 'internal-api')).toBe(false);
    expect(await registry.get(f.db, envA, 'internal-api')).toBeNull();
    expect(await registry.deleteCustom(f.db, envA, 'Not Valid')).toBe(false);
  });

  test('unknown and invalid names', async () => {
    expect(await registry.get(f.db, envA, 'nope')).toBeNull();
    expect(await statements(() => registry.get(f.db, envA, '../etc'))).toBe(0);
    expect(await registry.get(f.db, envA, '__proto__')).toBeNull();
  });
});
