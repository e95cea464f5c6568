import { database } from '../../../support/handles';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { loadMigrations, migrationsHash } from '../../../../lambdas/platform/db/migrator';
import { handler } from '../../../../lambdas/functions/migrate/handler';
import { createLambdaContext, localFunction } from '../../../../local/lambda-context';
import { createTestDatabase, type TestDatabase } from '../../../support/databases';
import { startTestStack, type TestStack } from '../../../support/local-stack';

/** The deploy-time migration runner, as CloudFormation's provider framework calls it, on an empty database. */
let t: TestStack;
let fresh: TestDatabase;
beforeAll(async () => {
  t = await startTestStack();
  fresh = await createTestDatabase();
  // What the stack sets: the function's database is the one named here (read on first use).
  process.env.LATCHKEY_DB_NAME = fresh.name;
});
afterAll(async () => {
  await t.stop();
  await fresh.drop();
});

const CLUSTER = 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey-prod';
const BUNDLED = migrationsHash();
const event = (RequestType: 'Create' | 'Update' | 'Delete', extra: object = {}) =>
  ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Latchkey-prod/1',
    RequestId: 'r1',
    LogicalResourceId: 'Migrations',
    ResourceType: 'Custom::LatchkeyMigrations',
    ResourceProperties: { ServiceToken: 'x', ClusterArn: CLUSTER, MigrationsHash: BUNDLED },
    ...extra,
  }) as unknown as CloudFormationCustomResourceEvent;
const invoke = (e: CloudFormationCustomResourceEvent) => handler(e, createLambdaContext(localFunction('migrate')));
const applied = async () => (await database().query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => r.version);

const schemaTable = async () => (await database().query<{ table: string | null }>("SELECT to_regclass('schema_migrations')::text AS table"))[0].table;

test('a rollback (Update with migrations other than the bundled ones) succeeds without work and says so', async () => {
  expect(await schemaTable()).toBeNull();
  const rollback = event('Update', {
    PhysicalResourceId: `${CLUSTER}/schema`,
    ResourceProperties: { ServiceToken: 'x', ClusterArn: CLUSTER, MigrationsHash: 'previous-deploy-hash' },
    OldResourceProperties: { ClusterArn: CLUSTER, MigrationsHash: BUNDLED },
  });
  const result = await invoke(rollback);
  expect(result.PhysicalResourceId).toBe(`${CLUSTER}/schema`);
  expect(result.Data).toEqual({ SchemaVersion: 'unchanged', Skipped: expect.stringContaining('previous-deploy-hash') });
  expect(result.Data!.Skipped).toContain('nothing applied');
  // Nothing ran: not even the bookkeeping table exists.
  expect(await schemaTable()).toBeNull();
});

test('the stack passes exactly the hash the bundled handler computes', () => {
  expect(BUNDLED).toMatch(/^[0-9a-f]{64}$/);
});

test('Create applies every migration and reports the schema version', async () => {
  const [before] = await database().query<{ table: string | null }>("SELECT to_regclass('schema_migrations')::text AS table");
  expect(before.table).toBeNull();
  const result = await invoke(event('Create'));
  const versions = loadMigrations().map((m) => m.version);
  expect(result).toEqual({ PhysicalResourceId: `${CLUSTER}/schema`, Data: { SchemaVersion: String(versions.at(-1)) } });
  expect(await applied()).toEqual(versions);
  // The environments the migrations created got their webhook signing key, sealed, in the same run.
  const environments = await database().query<{ name: string; sealed: boolean }>('SELECT name, webhook_signing_key IS NOT NULL AS sealed FROM environments ORDER BY name');
  expect(environments).toEqual([{ name: 'dev', sealed: true }, { name: 'prod', sealed: true }]);
});

test('Update is idempotent: nothing new, same resource', async () => {
  const before = await applied();
  const result = await invoke(event('Update', { PhysicalResourceId: `${CLUSTER}/schema`, OldResourceProperties: { ClusterArn: CLUSTER, MigrationsHash: 'h0' } }));
  expect(result.PhysicalResourceId).toBe(`${CLUSTER}/schema`);
  expect(await applied()).toEqual(before);
});

test('Delete leaves the schema and data alone', async () => {
  const result = await invoke(event('Delete', { PhysicalResourceId: `${CLUSTER}/schema` }));
  expect(result).toEqual({ PhysicalResourceId: `${CLUSTER}/schema` });
  expect((await applied()).length).toBeGreaterThan(0);
});
