import { randomBytes } from 'node:crypto';
import { DataApi } from '../../../lambdas/platform/db/data-api';
import { DataApiServer } from '../../../local/data-api';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { createTestDatabase, type TestDatabase } from '../../support/databases';
import { FAST_RETRY } from '../../support/data-api';

/**
 * Per-function database roles: on AWS each function's secret logs in as its own role. The stand-in
 * maps secret ARNs to roles (SET ROLE), so a missing grant fails locally as it would there.
 */
const CLUSTER = 'arn:aws:rds:us-east-1:000000000000:cluster:test';
const MASTER = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:master';
const READER = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:reader';
// Roles are global to the PostgreSQL cluster, which test files share: a name of our own.
const ROLE = `latchkey_test_reader_${randomBytes(4).toString('hex')}`;

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;
let master: DataApi;
let reader: DataApi;

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url, rolesBySecretArn: { [READER]: ROLE }, maxConnections: 1 });
  const endpoint = await server.start();
  client = new RDSDataClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  master = new DataApi({ resourceArn: CLUSTER, secretArn: MASTER, database: database.name }, client, FAST_RETRY);
  reader = new DataApi({ resourceArn: CLUSTER, secretArn: READER, database: database.name }, client, FAST_RETRY);
  await master.query('CREATE TABLE things (n int)');
  await master.query('INSERT INTO things (n) VALUES (1)');
  await master.query(`CREATE ROLE ${ROLE} NOLOGIN`);
  await master.query(`GRANT SELECT ON things TO ${ROLE}`);
});
afterAll(async () => {
  await master.query(`DROP OWNED BY ${ROLE}`).catch(() => undefined);
  await master.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
  client.destroy();
  await server.stop();
  await database.drop();
});

test('a secret mapped to a role runs as that role: its grants allow, everything else is refused', async () => {
  expect(await reader.query('SELECT current_user AS who, n FROM things')).toEqual([{ who: ROLE, n: 1 }]);
  await expect(reader.query('INSERT INTO things (n) VALUES (2)')).rejects.toMatchObject({ sqlState: '42501' });
});

test('in a transaction too', async () => {
  await expect(reader.transaction((tx) => tx.query('DELETE FROM things'))).rejects.toMatchObject({ sqlState: '42501' });
  expect(await reader.transaction((tx) => tx.query('SELECT current_user AS who'))).toEqual([{ who: ROLE }]);
});

test('the role does not stick to the pooled connection: the next caller is itself again', async () => {
  // One pooled connection: the master's statements reuse the reader's.
  await reader.query('SELECT 1');
  const [{ who }] = await master.query<{ who: string }>('SELECT current_user AS who');
  expect(who).not.toBe(ROLE);
  await master.query('INSERT INTO things (n) VALUES (3)');
  expect(await master.query('SELECT count(*)::int AS c FROM things')).toEqual([{ c: 2 }]);
});
