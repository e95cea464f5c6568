import { ExecuteStatementCommand, RDSDataClient, type ExecuteStatementCommandInput } from '@aws-sdk/client-rds-data';
import { Client } from 'pg';
import { DataApiServer } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Result encoding: Field unions per PostgreSQL type, columnMetadata, formattedRecords, counts and limits.

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;

const execute = (sql: string, options: Partial<ExecuteStatementCommandInput> = {}) => client.send(new ExecuteStatementCommand({ ...ARNS, sql, ...options }));

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  const url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await execute(`CREATE TABLE accounts (
    id serial PRIMARY KEY,
    handle varchar(20) NOT NULL,
    balance numeric(12,2),
    tags text[],
    created_at timestamptz NOT NULL DEFAULT '2024-01-02 03:04:05.678+00'
  )`);
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

describe('scalar values', () => {
  test('integers are longValue, floats doubleValue, bool booleanValue, bytea blobValue', async () => {
    const out = await execute(
      "SELECT 1::int2, 2::int4, 9007199254740991::int8, 10::oid, 1.5::float4, 0.1::float8, true, false, '\\x00ff10'::bytea",
    );
    expect(out.records).toEqual([
      [
        { longValue: 1 },
        { longValue: 2 },
        { longValue: 9_007_199_254_740_991 },
        { longValue: 10 },
        { doubleValue: 1.5 },
        { doubleValue: 0.1 },
        { booleanValue: true },
        { booleanValue: false },
        { blobValue: new Uint8Array([0, 255, 16]) },
      ],
    ]);
  });

  test('longReturnType STRING returns integers as strings, with every digit', async () => {
    const out = await execute('SELECT 9223372036854775807::int8, 7::int4', { resultSetOptions: { longReturnType: 'STRING' } });
    expect(out.records).toEqual([[{ stringValue: '9223372036854775807' }, { stringValue: '7' }]]);
  });

  test('numeric is a string by default; DOUBLE_OR_LONG gives long for scale 0, else double', async () => {
    const sql = 'SELECT 12.50::numeric(12,2), 42::numeric, 0.1::numeric';
    expect((await execute(sql)).records).toEqual([[{ stringValue: '12.50' }, { stringValue: '42' }, { stringValue: '0.1' }]]);
    const asNumbers = await execute(sql, { resultSetOptions: { decimalReturnType: 'DOUBLE_OR_LONG' } });
    expect(asNumbers.records).toEqual([[{ doubleValue: 12.5 }, { longValue: 42 }, { doubleValue: 0.1 }]]);
  });

  test('timestamps are YYYY-MM-DD HH:MM:SS[.ffffff]; timestamptz in UTC without offset', async () => {
    const out = await execute(`SELECT
      '2024-01-02 03:04:05'::timestamp, '2024-01-02 03:04:05.120'::timestamp, '2024-01-02 03:04:05.123456'::timestamp,
      '2024-01-02 03:04:05.5+02:00'::timestamptz, '2024-12-31 23:30:00-01:30'::timestamptz`);
    expect(out.records).toEqual([
      [
        { stringValue: '2024-01-02 03:04:05' },
        { stringValue: '2024-01-02 03:04:05.12' },
        { stringValue: '2024-01-02 03:04:05.123456' },
        { stringValue: '2024-01-02 01:04:05.5' },
        { stringValue: '2025-01-01 01:00:00' },
      ],
    ]);
  });

  test('sessions are UTC even where the database default zone is not', async () => {
    const other = await createTestDatabase();
    try {
      await execute(`ALTER DATABASE "${other.name}" SET timezone TO 'Asia/Kolkata'`);
      const direct = new Client({ connectionString: other.url });
      await direct.connect();
      const { rows } = await direct.query<{ tz: string }>("SELECT current_setting('TimeZone') AS tz");
      await direct.end();
      expect(rows[0].tz).toBe('Asia/Kolkata');
      const out = await execute("SELECT '2024-06-01 12:00:00+00'::timestamptz, now()::timestamp = (now() AT TIME ZONE 'UTC'), current_setting('TimeZone')", {
        database: other.name,
      });
      expect(out.records).toEqual([[{ stringValue: '2024-06-01 12:00:00' }, { booleanValue: true }, { stringValue: 'UTC' }]]);
    } finally {
      await other.drop(); // WITH (FORCE): the stand-in's idle pooled connections are dropped too
    }
  });

  test('date, time, uuid, json, jsonb, text, varchar, char, interval are stringValue', async () => {
    const out = await execute(`SELECT '2024-02-29'::date, '13:14:15.5'::time, '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f'::uuid,
      '{"a": 1}'::json, '{"b": [1, 2]}'::jsonb, 'text'::text, 'vc'::varchar(5), 'c'::char(3), '1 day 02:00:00'::interval`);
    expect(out.records).toEqual([
      [
        { stringValue: '2024-02-29' },
        { stringValue: '13:14:15.5' },
        { stringValue: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f' },
        { stringValue: '{"a": 1}' },
        { stringValue: '{"b": [1, 2]}' },
        { stringValue: 'text' },
        { stringValue: 'vc' },
        { stringValue: 'c  ' },
        { stringValue: '1 day 02:00:00' },
      ],
    ]);
  });

  test('NULL of any type is isNull', async () => {
    const out = await execute('SELECT NULL::int, NULL::text, NULL::uuid, NULL::int[], NULL::bytea');
    expect(out.records).toEqual([[{ isNull: true }, { isNull: true }, { isNull: true }, { isNull: true }, { isNull: true }]]);
  });

  test('enum values are strings, looked up from pg_type', async () => {
    await execute("CREATE TYPE mood AS ENUM ('sad', 'happy')");
    const out = await execute("SELECT 'happy'::mood AS m, ARRAY['sad'::mood] AS ms", { includeResultMetadata: true });
    expect(out.records).toEqual([[{ stringValue: 'happy' }, { arrayValue: { stringValues: ['sad'] } }]]);
    expect(out.columnMetadata?.map((c) => [c.typeName, c.type, c.arrayBaseColumnType])).toEqual([
      ['mood', 1111, 0],
      ['_mood', 2003, 1111],
    ]);
  });
});

describe('arrays', () => {
  test('int, text, uuid, bool and float8 arrays map to the matching arrayValue list', async () => {
    const out = await execute(`SELECT ARRAY[1,2,3]::int[], ARRAY['a b', 'c"d', 'e\\f', NULL, '']::text[],
      ARRAY['6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f']::uuid[], ARRAY[true,false], ARRAY[1.5,-2]::float8[], '{}'::int8[]`);
    expect(out.records).toEqual([
      [
        { arrayValue: { longValues: [1, 2, 3] } },
        { arrayValue: { stringValues: ['a b', 'c"d', 'e\\f', null, ''] } },
        { arrayValue: { stringValues: ['6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f'] } },
        { arrayValue: { booleanValues: [true, false] } },
        { arrayValue: { doubleValues: [1.5, -2] } },
        { arrayValue: { longValues: [] } },
      ],
    ]);
  });

  test('multidimensional arrays are UnsupportedResultException', async () => {
    await expect(execute('SELECT ARRAY[[1,2],[3,4]]')).rejects.toMatchObject({ name: 'UnsupportedResultException', $metadata: { httpStatusCode: 400 } });
  });
});

describe('counts, RETURNING and generatedFields', () => {
  test('numberOfRecordsUpdated counts DML rows; SELECT and DDL are 0; generatedFields is always []', async () => {
    const insert = await execute("INSERT INTO accounts (handle, balance) VALUES ('a', 1), ('b', 2), ('c', 3)");
    expect(insert).toMatchObject({ numberOfRecordsUpdated: 3, generatedFields: [] });
    expect(insert.records).toBeUndefined();
    expect(await execute("UPDATE accounts SET balance = balance + 1 WHERE handle IN ('a', 'b')")).toMatchObject({ numberOfRecordsUpdated: 2 });
    const select = await execute('SELECT handle FROM accounts ORDER BY handle');
    expect(select).toMatchObject({ numberOfRecordsUpdated: 0, records: [[{ stringValue: 'a' }], [{ stringValue: 'b' }], [{ stringValue: 'c' }]] });
    expect(await execute('CREATE INDEX accounts_handle ON accounts (handle)')).toMatchObject({ numberOfRecordsUpdated: 0, generatedFields: [] });
    expect(await execute("DELETE FROM accounts WHERE handle = 'c'")).toMatchObject({ numberOfRecordsUpdated: 1 });
  });

  test('RETURNING rows come back in records', async () => {
    const out = await execute("INSERT INTO accounts (handle, balance) VALUES ('r', 9.99) RETURNING handle, balance");
    expect(out).toMatchObject({ numberOfRecordsUpdated: 1, generatedFields: [], records: [[{ stringValue: 'r' }, { stringValue: '9.99' }]] });
  });

  test('an empty result set is records: []', async () => {
    expect((await execute("SELECT handle FROM accounts WHERE handle = 'nobody'")).records).toEqual([]);
  });
});

describe('columnMetadata', () => {
  test('only with includeResultMetadata', async () => {
    expect((await execute('SELECT 1')).columnMetadata).toBeUndefined();
  });

  test('describes table columns and expressions', async () => {
    const out = await execute(
      "SELECT id, handle, balance, tags, created_at, 1.5::float8 AS ratio, true AS ok, 'x'::bytea AS raw, gen_random_uuid() AS u, '{}'::jsonb AS j, 5::int8 AS big FROM accounts LIMIT 1",
      { includeResultMetadata: true },
    );
    const meta = Object.fromEntries((out.columnMetadata ?? []).map((c) => [c.label, c]));
    expect(meta.id).toEqual({
      name: 'id',
      label: 'id',
      type: 4,
      typeName: 'int4',
      nullable: 0,
      precision: 10,
      scale: 0,
      isSigned: true,
      isCaseSensitive: false,
      isCurrency: false,
      isAutoIncrement: true,
      schemaName: '',
      tableName: 'accounts',
      arrayBaseColumnType: 0,
    });
    expect(meta.handle).toMatchObject({ type: 12, typeName: 'varchar', nullable: 0, precision: 20, isCaseSensitive: true, isAutoIncrement: false, tableName: 'accounts' });
    expect(meta.balance).toMatchObject({ type: 2, typeName: 'numeric', nullable: 1, precision: 12, scale: 2, isSigned: true });
    expect(meta.tags).toMatchObject({ type: 2003, typeName: '_text', arrayBaseColumnType: 12 });
    expect(meta.created_at).toMatchObject({ type: 93, typeName: 'timestamptz', nullable: 0 });
    expect(meta.ratio).toMatchObject({ type: 8, typeName: 'float8', tableName: '', nullable: 1 });
    expect(meta.ok).toMatchObject({ type: -7, typeName: 'bool' });
    expect(meta.raw).toMatchObject({ type: -2, typeName: 'bytea' });
    expect(meta.u).toMatchObject({ type: 1111, typeName: 'uuid' });
    expect(meta.j).toMatchObject({ type: 1111, typeName: 'jsonb' });
    expect(meta.big).toMatchObject({ type: -5, typeName: 'int8' });
  });

  test('name and label are the alias', async () => {
    const out = await execute('SELECT handle AS who FROM accounts LIMIT 1', { includeResultMetadata: true });
    expect(out.columnMetadata?.[0]).toMatchObject({ name: 'who', label: 'who', tableName: 'accounts' });
  });
});

describe('formatRecordsAs JSON', () => {
  test('formattedRecords is one JSON string keyed by label; records and columnMetadata are left out', async () => {
    const out = await execute(
      `SELECT 7 AS n, 9223372036854775807::int8 AS big, 1.25::float8 AS f, 12.50::numeric(5,2) AS amount, true AS ok, NULL::text AS nothing,
       '{"a": 1}'::jsonb AS doc, '2024-01-02 03:04:05+00'::timestamptz AS at, ARRAY[1,2] AS arr, 'x'::bytea AS raw, 'hi' AS s`,
      { formatRecordsAs: 'JSON', includeResultMetadata: true },
    );
    expect(out.records).toBeUndefined();
    expect(out.columnMetadata).toBeUndefined();
    expect(out.formattedRecords).toBe(
      '[{"n":7,"big":9223372036854775807,"f":1.25,"amount":"12.50","ok":true,"nothing":null,"doc":"{\\"a\\": 1}","at":"2024-01-02 03:04:05","arr":[1,2],"raw":"eA==","s":"hi"}]',
    );
  });

  test('resultSetOptions apply to formattedRecords', async () => {
    const out = await execute('SELECT 7 AS n, 12.50::numeric(5,2) AS amount', {
      formatRecordsAs: 'JSON',
      resultSetOptions: { longReturnType: 'STRING', decimalReturnType: 'DOUBLE_OR_LONG' },
    });
    expect(JSON.parse(out.formattedRecords ?? '')).toEqual([{ n: '7', amount: 12.5 }]);
  });

  test('several rows, an empty result is "[]", a statement without rows has no formattedRecords', async () => {
    const rows = await execute('SELECT g AS i FROM generate_series(1, 3) g', { formatRecordsAs: 'JSON' });
    expect(JSON.parse(rows.formattedRecords ?? '')).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
    expect((await execute('SELECT 1 AS i WHERE false', { formatRecordsAs: 'JSON' })).formattedRecords).toBe('[]');
    const update = await execute("UPDATE accounts SET balance = 0 WHERE handle = 'a'", { formatRecordsAs: 'JSON' });
    expect(update.formattedRecords).toBeUndefined();
    expect(update.numberOfRecordsUpdated).toBe(1);
  });
});

describe('result limits', () => {
  test('a response over 1 MiB is DatabaseErrorException', async () => {
    await expect(execute("SELECT repeat('x', 1000) FROM generate_series(1, 1100)")).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: 'Database returned more than the allowed response size limit',
    });
    const fits = await execute("SELECT repeat('x', 1000) FROM generate_series(1, 900)");
    expect(fits.records).toHaveLength(900);
  });

  test('a row over 64 KB is DatabaseErrorException; one just under is fine', async () => {
    await expect(execute("SELECT repeat('x', 40000) AS a, repeat('y', 30000) AS b")).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('allowed row size limit of 65536 bytes'),
    });
    const fits = await execute("SELECT repeat('x', 65000) AS a");
    expect(fits.records?.[0]?.[0]?.stringValue).toHaveLength(65_000);
  });
});
