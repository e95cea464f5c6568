import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi } from '../../../../lambdas/platform/db/data-api';
import { migrate } from '../../../../lambdas/platform/db/migrator';
import { DEPLOY_FUNCTIONS, FUNCTIONS, functionRoleName } from '../../../../lib/topology';
import { DataApiServer } from '../../../../local/data-api';
import { localFunctionSecretArn, localRolesBySecretArn } from '../../../../local/environment';
import { FAST_RETRY } from '../../../support/data-api';
import { createTestDatabase, type TestDatabase } from '../../../support/databases';

/**
 * Migration 0009: every function but migrate signs in as a role of its own, which reaches only the
 * tables its code uses. Through the Data API stand-in's secret → role mapping, as `npm start` wires it.
 */
const CLUSTER = 'arn:aws:rds:us-east-1:000000000000:cluster:test';
const MASTER = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:master';
const ROLE_FUNCTIONS = [...FUNCTIONS, ...DEPLOY_FUNCTIONS].filter((f) => !f.databaseMaster).map((f) => f.name);

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;
let master: DataApi;
const as = (fn: string) => new DataApi({ resourceArn: CLUSTER, secretArn: localFunctionSecretArn(fn), database: database.name }, client, FAST_RETRY);

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url, rolesBySecretArn: localRolesBySecretArn(ROLE_FUNCTIONS) });
  client = new RDSDataClient({ endpoint: await server.start(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  master = new DataApi({ resourceArn: CLUSTER, secretArn: MASTER, database: database.name }, client, FAST_RETRY);
  await migrate(master);
});
afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

test.each(ROLE_FUNCTIONS)('%s signs in as its own role, which is no superuser and cannot change the schema', async (fn) => {
  const [row] = await as(fn).query<{ who: string; superuser: boolean }>("SELECT current_user AS who, current_setting('is_superuser') = 'on' AS superuser");
  expect(row).toEqual({ who: functionRoleName(fn), superuser: false });
  await expect(as(fn).query('CREATE TABLE intruder (n int)')).rejects.toMatchObject({ sqlState: '42501' });
  await expect(as(fn).query('ALTER TABLE api_keys ADD COLUMN intruder int')).rejects.toMatchObject({ sqlState: '42501' });
  await expect(as(fn).query('DELETE FROM schema_migrations')).rejects.toMatchObject({ sqlState: '42501' });
});

/** [function, statement it may not run]: tables outside what its code uses, and verbs it never needs. */
const REFUSED: [string, string][] = [
  ['webhooks', 'SELECT count(*) FROM integrations'],
  ['webhooks', 'SELECT count(*) FROM records'],
  ['webhooks', 'SELECT count(*) FROM api_keys'],
  ['webhooks', 'SELECT count(*) FROM oauth_sessions'],
  ['webhooks', 'DELETE FROM outbox'],
  ['bootstrap', 'SELECT count(*) FROM connections'],
  ['bootstrap', 'SELECT count(*) FROM integrations'],
  ['bootstrap', 'DELETE FROM api_keys'],
  ['connect', 'SELECT count(*) FROM records'],
  ['connect', 'DELETE FROM connections'],
  ['connect', 'SELECT count(*) FROM webhook_targets'],
  ['sweeps', 'SELECT count(*) FROM webhook_deliveries'],
  ['sweeps', 'INSERT INTO records (connection_id, model, external_id, payload, payload_hash) VALUES (gen_random_uuid(), \'m\', \'x\', \'\\x00\', \'\\x00\')'],
  ['api', 'SELECT count(*) FROM oauth_sessions'],
  // The proxy reads connections and writes their refresh columns, audit rows and outbox events; nothing else.
  ['proxy', 'SELECT count(*) FROM records'],
  ['proxy', 'SELECT count(*) FROM connect_sessions'],
  ['proxy', 'SELECT count(*) FROM oauth_sessions'],
  ['proxy', 'SELECT count(*) FROM webhook_targets'],
  ['proxy', 'DELETE FROM connections WHERE false'],
  ['proxy', 'INSERT INTO connections (id) SELECT gen_random_uuid() WHERE false'],
  ['proxy', 'UPDATE integrations SET deleted_at = now() WHERE false'],
  ['proxy', 'UPDATE audit_events SET outcome = outcome WHERE false'],
  ['proxy', 'UPDATE end_users SET email = email WHERE false'],
];
test.each(REFUSED)('%s may not: %s', async (fn, sql) => {
  await expect(as(fn).query(sql)).rejects.toMatchObject({ sqlState: '42501' });
});

/** [function, statement its code runs]: a sample of what each must keep being able to do. */
const ALLOWED: [string, string][] = [
  ['webhooks', 'SELECT count(*) FROM outbox'],
  ['webhooks', 'SELECT count(*) FROM webhook_targets'],
  ['bootstrap', 'SELECT count(*) FROM api_keys'],
  ['connect', 'SELECT count(*) FROM oauth_sessions'],
  ['sweeps', 'DELETE FROM audit_events WHERE false'],
  ['sweeps', 'DELETE FROM connect_sessions WHERE false'],
  ['api', "SELECT nextval('records_cursor_seq') > 0 AS ok"],
  ['api', 'UPDATE connections SET deleted_at = now() WHERE false'],
  ['proxy', 'UPDATE connections SET last_fetched_at = now() WHERE false'],
  ['proxy', 'SELECT count(*) FROM providers'],
  ['proxy', 'SELECT count(*) FROM end_users'],
];
test.each(ALLOWED)('%s may: %s', async (fn, sql) => {
  await expect(as(fn).query(sql)).resolves.toBeDefined();
});

/*
 * Migration 0013: connection_tags is written only by its trigger, which runs as the migration's
 * owner, so every role that writes connections keeps it in step without a grant of its own.
 */
test('connection_tags follows the connection writes of every role; only the trigger writes it, only api reads it', async () => {
  const [{ env }] = await master.query<{ env: string }>("SELECT id::text AS env FROM environments WHERE name = 'dev'");
  const [{ integration }] = await master.query<{ integration: string }>(
    "INSERT INTO integrations (environment_id, unique_key, provider) VALUES (CAST(:env AS uuid), 'tags-roles', 'openai') RETURNING id::text AS integration",
    { env },
  );
  const tagRows = async (id: string) => (await master.query<{ n: number }>('SELECT count(*)::int AS n FROM connection_tags WHERE connection_id = CAST(:id AS uuid)', { id }))[0].n;
  const [{ id }] = await as('connect').query<{ id: string }>(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key, tags)
     VALUES (CAST(:env AS uuid), 'tags-roles-1', CAST(:integration AS uuid), 'tags-roles', '{"team":"red","tier":"gold"}') RETURNING id::text`,
    { env, integration },
  );
  expect(await tagRows(id)).toBe(2);
  await as('api').execute(`UPDATE connections SET tags = '{"team":"blue"}' WHERE id = CAST(:id AS uuid)`, { id });
  expect(await tagRows(id)).toBe(1);
  expect(await as('api').query('SELECT count(*)::int AS n FROM connection_tags WHERE connection_id = CAST(:id AS uuid)', { id })).toEqual([{ n: 1 }]);
  await as('proxy').execute(`UPDATE connections SET tags = '{"team":"green"}' WHERE id = CAST(:id AS uuid)`, { id });
  expect(await tagRows(id)).toBe(1);
  await as('sweeps').execute('UPDATE connections SET deleted_at = now() WHERE id = CAST(:id AS uuid)', { id });
  expect(await tagRows(id)).toBe(0);
  await as('sweeps').execute('UPDATE connections SET deleted_at = NULL WHERE id = CAST(:id AS uuid)', { id });
  expect(await tagRows(id)).toBe(1);
  await as('sweeps').execute('DELETE FROM connections WHERE id = CAST(:id AS uuid)', { id });
  expect(await tagRows(id)).toBe(0);
  for (const fn of ['connect', 'sweeps', 'proxy', 'webhooks']) await expect(as(fn).query('SELECT count(*) FROM connection_tags')).rejects.toMatchObject({ sqlState: '42501' });
  for (const fn of ['api', 'connect', 'sweeps']) {
    await expect(as(fn).query('DELETE FROM connection_tags WHERE false')).rejects.toMatchObject({ sqlState: '42501' });
    await expect(as(fn).query('SELECT sync_connection_tags()')).rejects.toMatchObject({ sqlState: '42501' });
  }
});
