import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMigrations, migrate, type Migration } from '../../../../lambdas/platform/db/migrator';
import { runInRequestScope, RequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { startDataApi, type DataApiFixture } from '../../../support/data-api';

let f: DataApiFixture;
beforeAll(async () => (f = await startDataApi()));
afterAll(() => f.stop());

function migration(version: number, sql: string, name = `step_${version}`): Migration {
  return { version, name, sql, checksum: `${version}:${sql}` };
}

describe('migrate', () => {
  test('applies the real migrations once; a second run applies nothing in one statement', async () => {
    const first = await migrate(f.db);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.version));
    const tables = await f.db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['environments', 'api_keys', 'integrations', 'providers', 'connect_sessions', 'oauth_sessions', 'end_users',
        'connections', 'records', 'sync_runs', 'outbox', 'webhook_deliveries', 'audit_events', 'deployment_keys']),
    );
    expect(await f.db.query('SELECT name, is_production FROM environments ORDER BY name')).toEqual([
      { name: 'dev', is_production: false },
      { name: 'prod', is_production: true },
    ]);
    const scope = new RequestScope();
    const second = await runInRequestScope(() => migrate(f.db), scope);
    expect(second.applied).toEqual([]);
    expect(scope.dbStatements).toBe(1);
  });

  test('two runners at once apply each migration exactly once', async () => {
    const steps = [migration(1, 'CREATE TABLE race_a (n int)'), migration(2, 'INSERT INTO race_a VALUES (1); INSERT INTO race_a VALUES (2)')];
    await f.db.query('DROP TABLE schema_migrations');
    const [a, b] = await Promise.all([migrate(f.db, steps), migrate(f.db, steps)]);
    expect([...a.applied, ...b.applied].sort()).toEqual([1, 2]);
    expect(await f.db.query('SELECT count(*)::int AS n FROM race_a')).toEqual([{ n: 2 }]);
  });

  test('a failing migration leaves nothing behind and is not recorded', async () => {
    await f.db.query('DROP TABLE schema_migrations');
    const steps = [migration(1, 'CREATE TABLE half_done (n int); SELECT 1/0')];
    await expect(migrate(f.db, steps)).rejects.toMatchObject({ sqlState: '22012' });
    expect(await f.db.query("SELECT to_regclass('half_done') AS t")).toEqual([{ t: null }]);
    expect(await f.db.query('SELECT count(*)::int AS n FROM schema_migrations')).toEqual([{ n: 0 }]);
  });

  test('an applied migration that was edited is refused', async () => {
    await f.db.query('DROP TABLE schema_migrations');
    await migrate(f.db, [migration(1, 'SELECT 1')]);
    await expect(migrate(f.db, [migration(1, 'SELECT 2')])).rejects.toThrow(/was changed after it was applied/);
  });
});

describe('loadMigrations', () => {
  function dirWith(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'migrations-'));
    for (const [name, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), sql);
    return dir;
  }

  test('reads files in version order with checksums', () => {
    const loaded = loadMigrations(dirWith({ '0002_two.sql': 'SELECT 2', '0001_one.sql': 'SELECT 1', 'README.txt': 'ignored' }));
    expect(loaded.map((m) => [m.version, m.name])).toEqual([[1, 'one'], [2, 'two']]);
    expect(loaded[0].checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each([
    [{ '0001_one.sql': '', '0003_three.sql': '' }, /numbered 1, 2, 3/],
    [{ '1_bad.sql': '' }, /is not named NNNN_snake_case.sql/],
    [{ '0001_Bad-Name.sql': '' }, /is not named/],
  ])('rejects gaps and bad names', (files, message) => {
    expect(() => loadMigrations(dirWith(files))).toThrow(message);
  });
});
