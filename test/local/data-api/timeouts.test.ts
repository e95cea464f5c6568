import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  type ExecuteStatementCommandInput,
} from '@aws-sdk/client-rds-data';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataApiServer } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Statement timeout, continueAfterTimeout, transaction idle expiry and maximum life (short, configured
// limits), the `database` member, and stop().

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};
const STATEMENT_TIMEOUT_MS = 400;
// Margins wide enough that a loaded machine's slow round trips do not reach the limits by accident.
const IDLE_MS = 1_000;
const MAX_LIFE_MS = 3_000;

let database: TestDatabase;
let other: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;

const execute = (sql: string, options: Partial<ExecuteStatementCommandInput> = {}) => client.send(new ExecuteStatementCommand({ ...ARNS, sql, ...options }));
const begin = async (database?: string) => (await client.send(new BeginTransactionCommand({ ...ARNS, database }))).transactionId!;
const count = async () => (await execute('SELECT count(*) FROM marks')).records?.[0]?.[0]?.longValue;
const notFound = (id: string) => ({ name: 'TransactionNotFoundException', message: `Transaction ${id} isn't found` });
const activeSleeps = async () =>
  (await execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active' AND pid <> pg_backend_pid()")).records?.[0]?.[0]
    ?.longValue;

/** Waits (bounded) until no statement like `pattern` runs in the test database any more. */
async function statementsDone(pattern: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const running = (await execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE :p AND state = 'active' AND pid <> pg_backend_pid()", { parameters: [{ name: 'p', value: { stringValue: pattern } }] })).records?.[0]?.[0]?.longValue;
    if (running === 0) return;
    await sleep(50);
  }
  throw new Error(`statements like ${pattern} still running after 10 s`);
}

beforeAll(async () => {
  [database, other] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  server = new DataApiServer({
    connectionString: database.url,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    transactionIdleTimeoutMs: IDLE_MS,
    transactionMaxLifeMs: MAX_LIFE_MS,
  });
  const url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await execute('CREATE TABLE marks (n int)');
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await Promise.all([database.drop(), other.drop()]);
});

beforeEach(async () => {
  await execute('TRUNCATE marks');
});

describe('statement timeout', () => {
  test('a slow statement is cancelled and answered with StatementTimeoutException and the backend pid', async () => {
    const started = Date.now();
    const err = await execute('SELECT pg_sleep(5)').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ name: 'StatementTimeoutException', $metadata: { httpStatusCode: 400 } });
    expect(typeof (err as { dbConnectionId?: unknown }).dbConnectionId).toBe('number');
    expect((err as { dbConnectionId: number }).dbConnectionId).toBeGreaterThan(0);
    // It names a real (pooled, still open) backend.
    const pid = (err as { dbConnectionId: number }).dbConnectionId;
    expect((await execute('SELECT count(*) FROM pg_stat_activity WHERE pid = :pid', { parameters: [{ name: 'pid', value: { longValue: pid } }] })).records).toEqual([
      [{ longValue: 1 }],
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(STATEMENT_TIMEOUT_MS - 10);
    expect(elapsed).toBeLessThan(3_000);
    expect(await activeSleeps()).toBe(0);
  });

  test('a statement within the timeout is answered normally', async () => {
    expect((await execute('SELECT 1 AS n FROM pg_sleep(0.1)')).records).toEqual([[{ longValue: 1 }]]);
  });

  test('continueAfterTimeout answers with the error but lets the statement finish', async () => {
    // Sleeps far longer than the timeout, so the row is surely not there yet when the error comes back.
    const err = await execute('INSERT INTO marks SELECT 1 FROM pg_sleep(3)', { continueAfterTimeout: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'StatementTimeoutException' });
    expect(await count()).toBe(0);
    await statementsDone('INSERT INTO marks%');
    expect(await count()).toBe(1);
  });

  test('without continueAfterTimeout the statement is rolled back', async () => {
    await expect(execute('INSERT INTO marks SELECT 1 FROM pg_sleep(0.8)')).rejects.toMatchObject({ name: 'StatementTimeoutException' });
    await statementsDone('INSERT INTO marks%');
    expect(await count()).toBe(0);
  });

  test('a timeout inside a transaction aborts it', async () => {
    const id = await begin();
    await execute('INSERT INTO marks VALUES (1)', { transactionId: id });
    await expect(execute('SELECT pg_sleep(5)', { transactionId: id })).rejects.toMatchObject({ name: 'StatementTimeoutException' });
    await expect(client.send(new CommitTransactionCommand({ ...ARNS, transactionId: id }))).rejects.toMatchObject(notFound(id));
    expect(await count()).toBe(0);
  });

  test('a timeout in a batch rolls back its implicit transaction', async () => {
    await expect(
      client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO marks SELECT :n FROM pg_sleep(:s)', parameterSets: [
        [{ name: 'n', value: { longValue: 1 } }, { name: 's', value: { doubleValue: 0 } }],
        [{ name: 'n', value: { longValue: 2 } }, { name: 's', value: { doubleValue: 5 } }],
      ] })),
    ).rejects.toMatchObject({ name: 'StatementTimeoutException' });
    expect(await count()).toBe(0);
  });
});

describe('transaction expiry', () => {
  test('an idle transaction is rolled back and forgotten', async () => {
    const id = await begin();
    await execute('INSERT INTO marks VALUES (1)', { transactionId: id });
    await sleep(IDLE_MS + 200);
    await expect(execute('SELECT 1', { transactionId: id })).rejects.toMatchObject(notFound(id));
    expect(await count()).toBe(0);
  });

  test('each call restarts the idle clock', async () => {
    // A server of its own with a long idle limit: calls 1/4 of it apart outlive it twice over, and a
    // loaded machine would have to add 3/4 of it to one round trip to break the test.
    const patient = new DataApiServer({ connectionString: database.url, transactionIdleTimeoutMs: 2_000 });
    const patientClient = new RDSDataClient({ endpoint: await patient.start(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const id = (await patientClient.send(new BeginTransactionCommand(ARNS))).transactionId!;
      for (let i = 0; i < 8; i += 1) {
        await sleep(500);
        await patientClient.send(new ExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO marks VALUES (:i)', transactionId: id, parameters: [{ name: 'i', value: { longValue: i } }] }));
      }
      await patientClient.send(new CommitTransactionCommand({ ...ARNS, transactionId: id }));
      expect(await count()).toBe(8);
    } finally {
      patientClient.destroy();
      await patient.stop();
    }
  });

  test('a transaction past its maximum life is gone even while in use', async () => {
    const id = await begin();
    const deadline = Date.now() + MAX_LIFE_MS + 200;
    while (Date.now() < deadline) {
      await sleep(IDLE_MS / 3);
      const alive = await execute('SELECT 1', { transactionId: id }).then(
        () => true,
        (err: { name?: string }) => (err.name === 'TransactionNotFoundException' ? false : Promise.reject(err)),
      );
      if (!alive) break;
    }
    await expect(execute('SELECT 1', { transactionId: id })).rejects.toMatchObject(notFound(id));
  });
});

describe('database member', () => {
  test('without it the connection string database is used; with it, that database', async () => {
    expect((await execute('SELECT current_database()')).records).toEqual([[{ stringValue: database.name }]]);
    expect((await execute('SELECT current_database()', { database: other.name })).records).toEqual([[{ stringValue: other.name }]]);
  });

  test('a transaction stays in the database it began in', async () => {
    const id = await begin(other.name);
    expect((await execute('SELECT current_database()', { transactionId: id })).records).toEqual([[{ stringValue: other.name }]]);
    await client.send(new CommitTransactionCommand({ ...ARNS, transactionId: id }));
  });

  test('an unknown database is DatabaseErrorException (3D000)', async () => {
    await expect(execute('SELECT 1', { database: 'no_such_database' })).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringMatching(/database "no_such_database" does not exist.*SQLState: 3D000$/s),
    });
  });

  test('a database name over 64 characters is a bad request', async () => {
    await expect(execute('SELECT 1', { database: 'd'.repeat(65) })).rejects.toMatchObject({ name: 'BadRequestException' });
  });
});

test('stop() ends running statements, rolls back open transactions and frees the port', async () => {
  const local = new DataApiServer({ connectionString: database.url });
  const url = await local.start();
  const localClient = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const id = (await localClient.send(new BeginTransactionCommand(ARNS))).transactionId!;
  await localClient.send(new ExecuteStatementCommand({ ...ARNS, sql: 'INSERT INTO marks VALUES (42)', transactionId: id }));
  const running = localClient.send(new ExecuteStatementCommand({ ...ARNS, sql: 'SELECT pg_sleep(30)' })).catch((e: unknown) => e);
  await sleep(100);
  const started = Date.now();
  await local.stop();
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await running).toBeInstanceOf(Error);
  localClient.destroy();
  expect(await count()).toBe(0);
  expect(await activeSleeps()).toBe(0);
  await expect(fetch(`${url}/Execute`, { method: 'POST' })).rejects.toThrow();
});
