import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { DataApiServer } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Wire protocol, request validation, limits on requests, and fault injection — all through the real SDK client.

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};

let database: TestDatabase;
let server: DataApiServer;
let url: string;
let client: RDSDataClient;

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

beforeEach(() => {
  server.control.clearFaults();
  server.control.resetStats();
});

const execute = (sql: string, parameters?: SqlParameter[]) => client.send(new ExecuteStatementCommand({ ...ARNS, sql, parameters }));

const post = (path: string, body: string) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('restJson1 wire protocol', () => {
  test('ExecuteStatement answers 200 with records and no metadata unless asked', async () => {
    const out = await execute('SELECT 1 AS one');
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.records).toEqual([[{ longValue: 1 }]]);
    expect(out.numberOfRecordsUpdated).toBe(0);
    expect(out.generatedFields).toEqual([]);
    expect(out.columnMetadata).toBeUndefined();
    expect(out.formattedRecords).toBeUndefined();
  });

  test('POST /Execute with a plain JSON body (no signature) works', async () => {
    const res = await post('/Execute', JSON.stringify({ ...ARNS, sql: "SELECT 'x' AS v" }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ records: [[{ stringValue: 'x' }]], numberOfRecordsUpdated: 0, generatedFields: [] });
  });

  test('unknown paths and other methods are 404 UnknownOperationException', async () => {
    const unknown = await post('/ExecuteSql', JSON.stringify({ ...ARNS, sqlStatements: 'SELECT 1' }));
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await unknown.json()).toEqual({ message: 'No operation for POST /ExecuteSql' });
    const get = await fetch(`${url}/Execute`);
    expect(get.status).toBe(404);
    expect(get.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });

  test('malformed JSON is a 400 BadRequestException', async () => {
    const res = await post('/Execute', '{"sql": ');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await res.json()).toEqual({ message: 'The request body is not valid JSON' });
  });
});

describe('request validation (BadRequestException)', () => {
  test.each([
    ['short resourceArn', { resourceArn: 'arn:short', secretArn: ARNS.secretArn }, 'resourceArn'],
    ['long secretArn', { resourceArn: ARNS.resourceArn, secretArn: `arn:${'x'.repeat(97)}` }, 'secretArn'],
    ['missing secretArn', { resourceArn: ARNS.resourceArn }, 'secretArn'],
  ])('%s', async (_label, arns, member) => {
    const err = await client.send(new ExecuteStatementCommand({ ...(arns as typeof ARNS), sql: 'SELECT 1' })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'BadRequestException', $metadata: { httpStatusCode: 400 } });
    expect((err as Error).message).toMatch(new RegExp(`^1 validation error detected: Value at '${member}' failed to satisfy constraint`));
  });

  test('ARNs of exactly 11 and 100 characters are accepted', async () => {
    const out = await client.send(new ExecuteStatementCommand({ resourceArn: 'a'.repeat(11), secretArn: 's'.repeat(100), sql: 'SELECT 2 AS two' }));
    expect(out.records).toEqual([[{ longValue: 2 }]]);
  });

  test('SQL over 65,536 characters is refused', async () => {
    const sql = `SELECT 1 ${' '.repeat(65_536)}`;
    await expect(execute(sql)).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringContaining("'sql'") });
    await expect(execute(`SELECT 1${' '.repeat(65_536 - 8)}`)).resolves.toMatchObject({ records: [[{ longValue: 1 }]] });
  });

  test('schema is not supported', async () => {
    await expect(client.send(new ExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1', schema: 'public' }))).rejects.toMatchObject({
      name: 'BadRequestException',
      message: "The schema parameter isn't supported.",
    });
  });

  test('unknown typeHint is refused', async () => {
    const parameters = [{ name: 'v', value: { stringValue: 'x' }, typeHint: 'INTERVAL' }] as unknown as SqlParameter[];
    await expect(execute('SELECT :v', parameters)).rejects.toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('parameters.0.typeHint') });
  });

  test('a Field with no member or two members is refused', async () => {
    const none = [{ name: 'v', value: {} }] as unknown as SqlParameter[];
    await expect(execute('SELECT :v', none)).rejects.toMatchObject({
      name: 'BadRequestException',
      message: "Parameter 'v': exactly one member of the value union must be set, found 0",
    });
    const two = [{ name: 'v', value: { stringValue: 'x', longValue: 1 } }] as unknown as SqlParameter[];
    await expect(execute('SELECT :v', two)).rejects.toMatchObject({
      name: 'BadRequestException',
      message: "Parameter 'v': exactly one member of the value union must be set, found 2",
    });
    const notNull = [{ name: 'v', value: { isNull: false } }] as SqlParameter[];
    await expect(execute('SELECT :v', notNull)).rejects.toMatchObject({ name: 'BadRequestException', message: "Parameter 'v': invalid isNull" });
  });

  test('array parameters are not supported', async () => {
    await expect(execute('SELECT :v', [{ name: 'v', value: { arrayValue: { longValues: [1, 2] } } }])).rejects.toMatchObject({
      name: 'BadRequestException',
      message: 'Array parameters are not supported.',
    });
  });

  test('parameters need a name, given once', async () => {
    await expect(execute('SELECT 1', [{ value: { longValue: 1 } }])).rejects.toMatchObject({ name: 'BadRequestException' });
    const twice = [
      { name: 'v', value: { longValue: 1 } },
      { name: 'v', value: { longValue: 2 } },
    ];
    await expect(execute('SELECT :v', twice)).rejects.toMatchObject({ name: 'BadRequestException', message: "Parameter 'v' is given more than once" });
  });

  test('BatchExecute needs at least one parameter set', async () => {
    await expect(client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1', parameterSets: [] }))).rejects.toMatchObject({
      name: 'BadRequestException',
    });
    await expect(client.send(new BatchExecuteStatementCommand({ ...ARNS, sql: 'SELECT 1' }))).rejects.toMatchObject({ name: 'BadRequestException' });
  });
});

describe('request size limit', () => {
  test('a request over 4 MiB is a 413', async () => {
    const big = 'x'.repeat(4 * 1024 * 1024 + 1);
    const err = await execute('SELECT :v', [{ name: 'v', value: { stringValue: big } }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'RequestEntityTooLargeException', $metadata: { httpStatusCode: 413 } });
    expect(server.control.count('ExecuteStatement')).toBe(1);
    // The connection survives: the next call works.
    await expect(execute('SELECT 3 AS n')).resolves.toMatchObject({ records: [[{ longValue: 3 }]] });
  });

  test('a request just under 4 MiB is served', async () => {
    const value = 'y'.repeat(3 * 1024 * 1024);
    const out = await execute('SELECT length(:v) AS n', [{ name: 'v', value: { stringValue: value } }]);
    expect(out.records).toEqual([[{ longValue: value.length }]]);
  });
});

describe('fault injection through StandInControl', () => {
  test('DatabaseResumingException reaches the caller with its name and is not retried by the SDK', async () => {
    server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException', message: 'Database is resuming' } });
    const err = await execute('SELECT 1').catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DatabaseResumingException', message: 'Database is resuming', $metadata: { httpStatusCode: 400, attempts: 1 } });
    expect(server.control.count('ExecuteStatement')).toBe(1);
  });

  test('ThrottlingException is retried by the SDK (and then succeeds)', async () => {
    server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'ThrottlingException', message: 'Rate exceeded' }, times: 1 });
    const out = await execute('SELECT 4 AS n');
    expect(out.records).toEqual([[{ longValue: 4 }]]);
    expect(out.$metadata.attempts).toBe(2);
    expect(server.control.count('ExecuteStatement')).toBe(2);
  });

  test('ThrottlingException that persists surfaces after the SDK gives up', async () => {
    server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'ThrottlingException', message: 'Rate exceeded' } });
    await expect(execute('SELECT 1')).rejects.toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded' });
    expect(server.control.count('ExecuteStatement')).toBe(3); // SDK default: 3 attempts
  });

  test('faults can target one operation', async () => {
    server.control.injectFault({ operation: 'BeginTransaction', error: { code: 'DatabaseResumingException' }, times: 1 });
    await expect(execute('SELECT 1')).resolves.toBeDefined();
    await expect(client.send(new BeginTransactionCommand(ARNS))).rejects.toMatchObject({ name: 'DatabaseResumingException' });
    expect(server.control.stats().calls).toEqual({ ExecuteStatement: 1, BeginTransaction: 1 });
  });

  test('latency injection delays the response', async () => {
    server.control.injectFault({ operation: 'ExecuteStatement', latencyMs: 1_000, times: 1 });
    const finished: string[] = [];
    const before = server.control.count('ExecuteStatement');
    const started = Date.now();
    // The first call takes the one-time latency; a second one sent meanwhile is not delayed, so it
    // answers first (load only slows both; the order is decided by the 1 s gap, not by a deadline).
    const delayed = execute('SELECT 1').then(() => finished.push('delayed'));
    // Wait (bounded) until the first call has reached the stand-in and taken the fault.
    for (let i = 0; i < 400 && server.control.count('ExecuteStatement') === before; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await execute('SELECT 1').then(() => finished.push('plain'));
    await delayed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
    expect(finished).toEqual(['plain', 'delayed']);
  });

  test('the control surface also works over HTTP on the same port', async () => {
    const created = await fetch(`${url}/__latchkey/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException' }, times: 1 }),
    });
    expect(created.status).toBe(200);
    await expect(execute('SELECT 1')).rejects.toMatchObject({ name: 'DatabaseResumingException' });
    await execute('SELECT 1');
    const stats = await (await fetch(`${url}/__latchkey/stats`)).json();
    expect(stats).toEqual({ calls: { ExecuteStatement: 2 } });
  });
});
