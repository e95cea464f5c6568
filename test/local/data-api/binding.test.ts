import { ExecuteStatementCommand, RDSDataClient, type SqlParameter } from '@aws-sdk/client-rds-data';
import { DataApiServer, scanSql } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Parameter binding as strict as the real service: untyped strings are varchar, typeHints cast.

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};
const ID = '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f';

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;

const execute = (sql: string, parameters?: SqlParameter[]) => client.send(new ExecuteStatementCommand({ ...ARNS, sql, parameters }));
const str = (name: string, stringValue: string, typeHint?: SqlParameter['typeHint']): SqlParameter => ({ name, value: { stringValue }, typeHint });
const one = async (sql: string, parameters?: SqlParameter[]) => (await execute(sql, parameters)).records?.[0];

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  const url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await execute(`CREATE TABLE items (
    id uuid PRIMARY KEY, name varchar(40), doc json, docb jsonb, at timestamp, at_tz timestamptz, day date, tod time, amount numeric(12,2)
  )`);
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

describe('untyped stringValue is varchar, as on AWS', () => {
  test('its type is character varying', async () => {
    expect(await one('SELECT pg_typeof(:s)::text AS t', [str('s', 'x')])).toEqual([{ stringValue: 'character varying' }]);
  });

  test('inserting it into a uuid column fails with 42804, position pointing at the parameter', async () => {
    const sql = 'INSERT INTO items (id) VALUES (:id)';
    const err = await execute(sql, [str('id', ID)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DatabaseErrorException', $metadata: { httpStatusCode: 400 } });
    expect((err as Error).message).toBe(
      'ERROR: column "id" is of type uuid but expression is of type character varying\n' +
        '  Hint: You will need to rewrite or cast the expression.\n' +
        `  Position: ${sql.indexOf(':id') + 1}; SQLState: 42804`,
    );
  });

  test('comparing it with a uuid column fails with 42883', async () => {
    const err = await execute('SELECT 1 FROM items WHERE id = :id', [str('id', ID)]).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'DatabaseErrorException' });
    expect((err as Error).message).toMatch(/^ERROR: operator does not exist: uuid = character varying\n[\s\S]*; SQLState: 42883$/);
  });

  test('typeHint UUID or an SQL cast makes it work', async () => {
    const hinted = await execute('INSERT INTO items (id, name) VALUES (:id, :name)', [str('id', ID, 'UUID'), str('name', 'first')]);
    expect(hinted.numberOfRecordsUpdated).toBe(1);
    expect(await one('SELECT name FROM items WHERE id = :id::uuid', [str('id', ID)])).toEqual([{ stringValue: 'first' }]);
    expect(await one('SELECT name FROM items WHERE id = :id', [str('id', ID, 'UUID')])).toEqual([{ stringValue: 'first' }]);
  });

  test('a malformed UUID fails in PostgreSQL (22P02)', async () => {
    await expect(execute('SELECT :id AS v', [str('id', 'nope', 'UUID')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringMatching(/invalid input syntax for type uuid: "nope"[\s\S]*SQLState: 22P02$/),
    });
  });
});

describe('typeHints', () => {
  test('JSON goes into json and jsonb columns', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await execute('INSERT INTO items (id, doc, docb) VALUES (:id, :doc, :docb)', [
      str('id', id, 'UUID'),
      str('doc', '{"a": [1, 2]}', 'JSON'),
      str('docb', '{"b": true}', 'JSON'),
    ]);
    expect(await one('SELECT doc::text, docb ->> \'b\' FROM items WHERE id = :id', [str('id', id, 'UUID')])).toEqual([
      { stringValue: '{"a": [1, 2]}' },
      { stringValue: 'true' },
    ]);
    await expect(execute('UPDATE items SET docb = :d', [str('d', '{"b": 1}')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('SQLState: 42804'),
    });
  });

  test('TIMESTAMP accepts YYYY-MM-DD HH:MM:SS[.FFF]', async () => {
    expect(await one('SELECT :t AS t, pg_typeof(:t)::text', [str('t', '2024-02-29 13:14:15.125', 'TIMESTAMP')])).toEqual([
      { stringValue: '2024-02-29 13:14:15.125' },
      { stringValue: 'timestamp without time zone' },
    ]);
    expect(await one('SELECT :t AS t', [str('t', '2024-02-29 13:14:15', 'TIMESTAMP')])).toEqual([{ stringValue: '2024-02-29 13:14:15' }]);
  });

  test.each(['2024-02-29T13:14:15', '2024-02-29 13:14:15Z', '2024-02-29 13:14:15+02', '2024-02-29', 'yesterday'])('TIMESTAMP refuses %p', async (value) => {
    await expect(execute('SELECT :t', [str('t', value, 'TIMESTAMP')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: 'Timestamp format must be yyyy-mm-dd hh:mm:ss[.fffffffff]',
    });
  });

  test('a TIMESTAMP goes into a timestamptz column as UTC', async () => {
    const id = '00000000-0000-4000-8000-000000000002';
    await execute('INSERT INTO items (id, at, at_tz) VALUES (:id, :at, :at)', [str('id', id, 'UUID'), str('at', '2024-05-06 07:08:09.5', 'TIMESTAMP')]);
    expect(await one('SELECT at, at_tz FROM items WHERE id = :id', [str('id', id, 'UUID')])).toEqual([
      { stringValue: '2024-05-06 07:08:09.5' },
      { stringValue: '2024-05-06 07:08:09.5' },
    ]);
  });

  test('DATE, TIME and DECIMAL', async () => {
    expect(
      await one('SELECT :d AS d, :t AS t, :n AS n, pg_typeof(:n)::text', [str('d', '2024-12-31', 'DATE'), str('t', '23:59:58.25', 'TIME'), str('n', '12345.678', 'DECIMAL')]),
    ).toEqual([{ stringValue: '2024-12-31' }, { stringValue: '23:59:58.25' }, { stringValue: '12345.678' }, { stringValue: 'numeric' }]);
    await expect(execute('SELECT :d', [str('d', '31/12/2024', 'DATE')])).rejects.toMatchObject({ name: 'DatabaseErrorException' });
    await expect(execute('SELECT :t', [str('t', '23:59', 'TIME')])).rejects.toMatchObject({ name: 'DatabaseErrorException' });
    await expect(execute('SELECT :n', [str('n', 'ten', 'DECIMAL')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('SQLState: 22P02'),
    });
  });

  test('without a hint, a string into a numeric column fails as on AWS', async () => {
    await expect(execute('UPDATE items SET amount = :n', [str('n', '1.50')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: expect.stringContaining('column "amount" is of type numeric but expression is of type character varying'),
    });
  });
});

describe('other value members', () => {
  test('long, double, boolean, blob and null bind with their PostgreSQL types', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const out = await one('SELECT pg_typeof(:l)::text, pg_typeof(:d)::text, pg_typeof(:b)::text, pg_typeof(:x)::text, :x AS blob, :n::int IS NULL AS is_null, :l + 1 AS l1', [
      { name: 'l', value: { longValue: 9_007_199_254_740_990 } },
      { name: 'd', value: { doubleValue: 0.1 } },
      { name: 'b', value: { booleanValue: false } },
      { name: 'x', value: { blobValue: bytes } },
      { name: 'n', value: { isNull: true } },
    ]);
    expect(out).toEqual([
      { stringValue: 'bigint' },
      { stringValue: 'double precision' },
      { stringValue: 'boolean' },
      { stringValue: 'bytea' },
      { blobValue: bytes },
      { booleanValue: true },
      { longValue: 9_007_199_254_740_991 },
    ]);
  });

  test('a NULL goes into any column type', async () => {
    const out = await execute('INSERT INTO items (id, doc, at, amount) VALUES (:id, :n, :n, :n) RETURNING doc, at, amount', [
      str('id', '00000000-0000-4000-8000-000000000003', 'UUID'),
      { name: 'n', value: { isNull: true } },
    ]);
    expect(out.records).toEqual([[{ isNull: true }, { isNull: true }, { isNull: true }]]);
  });

  test('one parameter can be used several times', async () => {
    expect(await one('SELECT :a * :a + :b AS v', [{ name: 'a', value: { longValue: 7 } }, { name: 'b', value: { longValue: 1 } }])).toEqual([{ longValue: 50 }]);
  });

  test('parameters the SQL does not use are ignored', async () => {
    expect(await one('SELECT 5 AS v', [{ name: 'unused', value: { longValue: 1 } }])).toEqual([{ longValue: 5 }]);
  });

  test('a string with NUL fails in PostgreSQL as on AWS', async () => {
    await expect(execute('SELECT :s', [str('s', 'a\u0000b')])).rejects.toMatchObject({ name: 'DatabaseErrorException' });
  });
});

describe('parameter parsing', () => {
  test('a :name with no parameter is "No value specified for parameter"', async () => {
    await expect(execute('SELECT :a, :missing', [{ name: 'a', value: { longValue: 1 } }])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: 'No value specified for parameter 2 (:missing).',
    });
  });

  test('error positions after rewritten parameters point into the caller\'s SQL', async () => {
    const sql = 'SELECT :a, :bb, no_such_column';
    await expect(execute(sql, [str('a', 'x'), str('bb', 'y')])).rejects.toMatchObject({
      name: 'DatabaseErrorException',
      message: `ERROR: column "no_such_column" does not exist\n  Position: ${sql.indexOf('no_such_column') + 1}; SQLState: 42703`,
    });
  });

  test(':: casts are not parameters', async () => {
    expect(await one("SELECT '42'::int AS v, :x::text AS t", [{ name: 'x', value: { longValue: 3 } }])).toEqual([{ longValue: 42 }, { stringValue: '3' }]);
  });

  test(':x inside literals, quoted identifiers, dollar quotes and comments is left alone', async () => {
    const sql = [
      "SELECT ':a' AS \"col:b\",",
      "E'it\\'s :c' AS e,",
      '$$:d$$ AS d, $tag$ :e $x$ $tag$ AS tag, -- :f',
      '/* :g /* nested :h */ :i */ :real AS r',
    ].join('\n');
    const out = await client.send(new ExecuteStatementCommand({ ...ARNS, sql, parameters: [{ name: 'real', value: { longValue: 1 } }], includeResultMetadata: true }));
    expect(out.records).toEqual([[{ stringValue: ':a' }, { stringValue: "it's :c" }, { stringValue: ':d' }, { stringValue: ' :e $x$ ' }, { longValue: 1 }]]);
    expect(out.columnMetadata?.map((c) => c.label)).toEqual(['col:b', 'e', 'd', 'tag', 'r']);
  });

  test('scanSql finds only real references', () => {
    const sql = "SELECT a$b$, :one, ':two', \"::three\", $q$:four$q$ -- :five\n, :six_6 /* :seven */";
    expect(scanSql(sql).params.map((p) => p.name)).toEqual(['one', 'six_6']);
    expect(scanSql(sql).hasSemicolon).toBe(false);
    expect(scanSql("SELECT 'a'';:x'").params).toEqual([]);
    expect(scanSql('SELECT :a:b').params.map((p) => [p.name, p.start, p.end])).toEqual([
      ['a', 7, 9],
      ['b', 9, 11],
    ]);
  });
});

describe('multi-statements', () => {
  test.each(['SELECT 1; SELECT 2', 'SELECT 1;', 'SELECT 1 ;  \n', 'SELECT 1; -- done', 'SELECT 1; /* trailing */'])('%p is refused', async (sql) => {
    await expect(execute(sql)).rejects.toMatchObject({ name: 'DatabaseErrorException', message: "Multi-statements aren't supported." });
  });

  test.each([
    ["SELECT ';' AS v", ';'],
    ['SELECT 1 AS "a;b"', 1],
    ["SELECT E'\\';' AS v", "';"],
    ['SELECT $$;$$ AS v -- ;', ';'],
    ['SELECT 1 AS v /* ; */', 1],
  ])('%p is one statement', async (sql, expected) => {
    const field = typeof expected === 'number' ? { longValue: expected } : { stringValue: expected };
    expect(await one(sql)).toEqual([field]);
  });

  test('a DO block with semicolons inside its dollar-quoted body runs', async () => {
    const out = await execute("DO $$ BEGIN PERFORM 1; INSERT INTO items (id, name) VALUES ('00000000-0000-4000-8000-0000000000d0', 'do'); END $$");
    expect(out.numberOfRecordsUpdated).toBe(0);
    expect(await one("SELECT name FROM items WHERE id = '00000000-0000-4000-8000-0000000000d0'")).toEqual([{ stringValue: 'do' }]);
  });
});
