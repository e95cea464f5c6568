import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataApiServer } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Transactions and BatchExecuteStatement: lifecycle, abort-on-error, concurrency, implicit batch transactions.

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;

const execute = (sql: string, transactionId?: string, parameters?: SqlParameter[]) =>
  client.send(new ExecuteStatementCommand({ ...ARNS, sql, transactionId, parameters }));
const begin = async () => (await client.send(new BeginTransactionCommand(ARNS))).transactionId!;
const commit = (transactionId: string) => client.send(new CommitTransactionCommand({ ...ARNS, transactionId }));
const rollback = (transactionId: string) => client.send(new RollbackTransactionCommand({ ...ARNS, transactionId }));
const batch = (sql: string, parameterSets: SqlParameter[][], transactionId?: string) =>
  client.send(new BatchExecuteStatementCommand({ ...ARNS, sql, parameterSets, transactionId }));
const count = async (where = 'true') => (await execute(`SELECT count(*) FROM notes WHERE ${where}`)).records?.[0]?.[0]?.longValue;
const note = (body: string): SqlParameter[] => [{ name: 'body', value: { stringValue: body } }];
const notFound = (id: string) => ({ name: 'TransactionNotFoundException', message: `Transaction ${id} isn't found`, $metadata: { httpStatusCode: 404 } });

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  const url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await execute('CREATE TABLE notes (id serial PRIMARY KEY, body text UNIQUE NOT NULL)');
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

beforeEach(async () => {
  await execute('TRUNCATE notes');
});

describe('lifecycle', () => {
  test('commit makes changes visible; the id is then unknown', async () => {
    const id = await begin();
    expect(typeof id).toBe('string');
    expect(id.length).toBeGreaterThan(20);
    expect(id.length).toBeLessThanOrEqual(192);
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('in tx'));
    expect(await count()).toBe(0); // not visible outside the transaction
    expect((await execute('SELECT body FROM notes', id)).records).toEqual([[{ stringValue: 'in tx' }]]);
    const committed = await commit(id);
    expect(committed.transactionStatus).toBe('Transaction Committed');
    expect(committed.$metadata.httpStatusCode).toBe(200);
    expect(await count()).toBe(1);
    await expect(commit(id)).rejects.toMatchObject(notFound(id));
    await expect(execute('SELECT 1', id)).rejects.toMatchObject(notFound(id));
    await expect(rollback(id)).rejects.toMatchObject(notFound(id));
  });

  test('rollback discards changes; the id is then unknown', async () => {
    const id = await begin();
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('gone'));
    expect((await rollback(id)).transactionStatus).toBe('Rollback Complete');
    expect(await count()).toBe(0);
    await expect(execute('SELECT 1', id)).rejects.toMatchObject(notFound(id));
  });

  test('ids are random and never known before BeginTransaction', async () => {
    const a = await begin();
    const b = await begin();
    expect(a).not.toBe(b);
    await Promise.all([rollback(a), rollback(b)]);
    await expect(execute('SELECT 1', 'made-up-transaction-id')).rejects.toMatchObject(notFound('made-up-transaction-id'));
    await expect(commit('made-up-transaction-id')).rejects.toMatchObject(notFound('made-up-transaction-id'));
  });

  test('a transaction id over 192 characters is a bad request', async () => {
    await expect(execute('SELECT 1', 'x'.repeat(193))).rejects.toMatchObject({ name: 'BadRequestException' });
  });

  test('transactions are isolated from each other', async () => {
    const a = await begin();
    const b = await begin();
    await execute('INSERT INTO notes (body) VALUES (:body)', a, note('a'));
    expect((await execute('SELECT count(*) FROM notes', b)).records).toEqual([[{ longValue: 0 }]]);
    await commit(a);
    await commit(b);
    expect(await count()).toBe(1);
  });
});

describe('a failed statement aborts the transaction', () => {
  test('a PostgreSQL error rolls back and forgets the transaction', async () => {
    const id = await begin();
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('first'));
    await expect(execute('INSERT INTO notes (body) VALUES (:body)', id, note('first'))).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('SQLState: 23505'),
    });
    await expect(execute('SELECT 1', id)).rejects.toMatchObject(notFound(id));
    await expect(commit(id)).rejects.toMatchObject(notFound(id));
    expect(await count()).toBe(0);
  });

  test('errors found before the statement runs (validation, binding) leave it usable', async () => {
    const id = await begin();
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('kept'));
    await expect(execute('SELECT 1; SELECT 2', id)).rejects.toMatchObject({ name: 'DatabaseErrorException', message: "Multi-statements aren't supported." });
    await expect(execute('SELECT :missing', id)).rejects.toMatchObject({ name: 'DatabaseErrorException' });
    await expect(execute('SELECT :v', id, [{ name: 'v', value: { arrayValue: { longValues: [1] } } }])).rejects.toMatchObject({ name: 'BadRequestException' });
    await commit(id);
    expect(await count()).toBe(1);
  });

  test('a result over the size limit aborts it too', async () => {
    const id = await begin();
    await expect(execute("SELECT repeat('x', 70000)", id)).rejects.toMatchObject({ name: 'DatabaseErrorException' });
    await expect(commit(id)).rejects.toMatchObject(notFound(id));
  });
});

describe('concurrent use of one transaction', () => {
  test('a second call while a statement runs fails at once with "Transaction is still running a query"', async () => {
    const id = await begin();
    const started = Date.now();
    const [slow, second] = await Promise.allSettled([
      execute('SELECT 1 AS done FROM pg_sleep(0.3)', id),
      sleep(50).then(() => execute('SELECT 1', id)),
    ]);
    expect(slow).toMatchObject({ status: 'fulfilled', value: { records: [[{ longValue: 1 }]] } });
    expect(second).toMatchObject({ status: 'rejected', reason: { name: 'DatabaseErrorException', message: 'Transaction is still running a query' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // The transaction survives the refused call.
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('after'));
    expect((await commit(id)).transactionStatus).toBe('Transaction Committed');
    expect(await count()).toBe(1);
  });

  test('commit while a statement runs is refused the same way', async () => {
    const id = await begin();
    const [slow, early] = await Promise.allSettled([execute('SELECT pg_sleep(0.3)', id), sleep(50).then(() => commit(id))]);
    expect(slow.status).toBe('fulfilled');
    expect(early).toMatchObject({ status: 'rejected', reason: { name: 'DatabaseErrorException', message: 'Transaction is still running a query' } });
    await rollback(id);
  });
});

describe('BatchExecuteStatement', () => {
  test('runs once per parameter set and answers one updateResult each', async () => {
    const out = await batch('INSERT INTO notes (body) VALUES (:body)', [note('a'), note('b'), note('c')]);
    expect(out.updateResults).toEqual([{ generatedFields: [] }, { generatedFields: [] }, { generatedFields: [] }]);
    expect(await count()).toBe(3);
  });

  test('an empty parameter set runs the statement once without parameters', async () => {
    const out = await batch("INSERT INTO notes (body) VALUES ('plain')", [[]]);
    expect(out.updateResults).toEqual([{ generatedFields: [] }]);
    expect(await count()).toBe(1);
  });

  test('without a transaction, a failure in set k rolls back sets before k', async () => {
    await expect(batch('INSERT INTO notes (body) VALUES (:body)', [note('x'), note('y'), note('x')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('duplicate key value violates unique constraint "notes_body_key"'),
    });
    expect(await count()).toBe(0);
  });

  test('inside a transaction the sets commit with it', async () => {
    const id = await begin();
    await batch('INSERT INTO notes (body) VALUES (:body)', [note('p'), note('q')], id);
    expect(await count()).toBe(0);
    await commit(id);
    expect(await count()).toBe(2);
  });

  test('a failing set aborts the surrounding transaction', async () => {
    const id = await begin();
    await execute('INSERT INTO notes (body) VALUES (:body)', id, note('before'));
    await expect(batch('INSERT INTO notes (body) VALUES (:body)', [note('z'), note('z')], id)).rejects.toMatchObject({ name: 'DatabaseErrorException' });
    await expect(commit(id)).rejects.toMatchObject(notFound(id));
    expect(await count()).toBe(0);
  });

  test('an unknown transaction id is TransactionNotFoundException', async () => {
    await expect(batch('SELECT 1', [[]], 'no-such-transaction')).rejects.toMatchObject(notFound('no-such-transaction'));
  });
});

test('the open transaction count drops back as transactions end', async () => {
  const before = server.openTransactions;
  const id = await begin();
  expect(server.openTransactions).toBe(before + 1);
  await rollback(id);
  expect(server.openTransactions).toBe(before);
});
