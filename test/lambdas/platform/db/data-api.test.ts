import { DatabaseError } from '../../../../lambdas/platform/db/errors';
import { date, decimal, json, uuid } from '../../../../lambdas/platform/db/parameters';
import { currentRequestScope, runInRequestScope, RequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { startDataApi, type DataApiFixture } from '../../../support/data-api';

let f: DataApiFixture;

beforeAll(async () => {
  f = await startDataApi();
  await f.db.query(`CREATE TABLE things (
    id uuid PRIMARY KEY, name text NOT NULL, doc jsonb, price numeric(12,2), born date,
    seen_at timestamptz, big bigint, ratio double precision, ok boolean, raw bytea, tags text[])`);
});
afterAll(() => f.stop());
beforeEach(() => f.server.control.clearFaults());

const ID = '6f1c2b7e-4a8d-4f3e-9b2a-1c0d9e8f7a6b';

describe('DataApi', () => {
  test('binds typed parameters and decodes every column type back', async () => {
    const seen = new Date('2026-03-04T05:06:07.891Z');
    await f.db.query(
      `INSERT INTO things (id, name, doc, price, born, seen_at, big, ratio, ok, raw, tags)
       VALUES (:id, :name, :doc, :price, :born, :seen, :big, :ratio, :ok, :raw, CAST(:tags AS text[]))`,
      {
        id: uuid(ID),
        name: "O'Brien; DROP TABLE things",
        doc: json({ nested: { list: [1, 'two', null] } }),
        price: decimal('1234.50'),
        born: date('2001-02-03'),
        seen,
        big: 9_007_199_254_740_991,
        ratio: 0.25,
        ok: true,
        raw: Buffer.from([0, 1, 254, 255]),
        tags: '{a,b}',
      },
    );
    const [row] = await f.db.query('SELECT * FROM things WHERE id = :id', { id: uuid(ID) });
    expect(row).toEqual({
      id: ID,
      name: "O'Brien; DROP TABLE things",
      doc: { nested: { list: [1, 'two', null] } },
      price: '1234.50',
      born: '2001-02-03',
      seen_at: seen,
      big: 9_007_199_254_740_991,
      ratio: 0.25,
      ok: true,
      raw: Buffer.from([0, 1, 254, 255]),
      tags: ['a', 'b'],
    });
  });

  test('objects bind as JSON and null/undefined as NULL', async () => {
    const [row] = await f.db.query('SELECT CAST(:doc AS jsonb) AS doc, :missing::text AS missing, :nothing::int AS nothing', {
      doc: { a: [1, 2] },
      missing: null,
      nothing: undefined,
    });
    expect(row).toEqual({ doc: { a: [1, 2] }, missing: null, nothing: null });
  });

  test('a plain string is varchar, as on AWS: comparing it with a uuid column fails with the SQLSTATE', async () => {
    const err = await f.db.query('SELECT 1 FROM things WHERE id = :id', { id: ID }).catch((e) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.code).toBe('DatabaseErrorException');
    expect(err.sqlState).toBe('42883');
  });

  test('execute reports rows affected and RETURNING rows', async () => {
    const result = await f.db.execute('UPDATE things SET ok = false WHERE id = :id RETURNING name', { id: uuid(ID) });
    expect(result).toEqual({ rowsAffected: 1, rows: [{ name: "O'Brien; DROP TABLE things" }] });
  });

  test('unique violations are recognisable', async () => {
    const err = await f.db.query("INSERT INTO things (id, name) VALUES (:id, 'again')", { id: uuid(ID) }).catch((e) => e);
    expect(err.isUniqueViolation).toBe(true);
  });

  test('transaction commits on success and rolls back on failure', async () => {
    const other = '0b7f2d3c-1e4a-4b5c-8d6e-7f8091a2b3c4';
    await f.db.transaction(async (tx) => {
      await tx.query("INSERT INTO things (id, name) VALUES (:id, 'committed')", { id: uuid(other) });
    });
    await expect(
      f.db.transaction(async (tx) => {
        await tx.query("UPDATE things SET name = 'changed' WHERE id = :id", { id: uuid(other) });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const [row] = await f.db.query('SELECT name FROM things WHERE id = :id', { id: uuid(other) });
    expect(row).toEqual({ name: 'committed' });
  });

  test('a failed statement rolls the whole transaction back', async () => {
    const third = '1c2d3e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5';
    await expect(
      f.db.transaction(async (tx) => {
        await tx.query("INSERT INTO things (id, name) VALUES (:id, 'lost')", { id: uuid(third) });
        await tx.query('SELECT 1 / 0');
      }),
    ).rejects.toMatchObject({ code: 'DatabaseErrorException', sqlState: '22012' });
    expect(await f.db.query('SELECT 1 FROM things WHERE id = :id', { id: uuid(third) })).toEqual([]);
  });

  test('batch runs one statement per parameter set', async () => {
    await f.db.query('CREATE TABLE batch_target (n int)');
    await f.db.batch('INSERT INTO batch_target (n) VALUES (:n)', [{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(await f.db.query('SELECT sum(n)::int AS total FROM batch_target')).toEqual([{ total: 6 }]);
  });

  test('retries DatabaseResumingException with backoff, which the SDK does not', async () => {
    f.server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException', message: 'resuming' }, times: 2 });
    const before = f.server.control.count('ExecuteStatement');
    expect(await f.db.query('SELECT 7 AS n')).toEqual([{ n: 7 }]);
    expect(f.server.control.count('ExecuteStatement') - before).toBe(3);
  });

  test('gives up after the retry budget and says why', async () => {
    f.server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException', message: 'still resuming' } });
    await expect(f.db.query('SELECT 1')).rejects.toMatchObject({ code: 'DatabaseResumingException' });
    expect(f.server.control.count('ExecuteStatement')).toBeGreaterThan(0);
  });

  test('does not retry SQL errors', async () => {
    const before = f.server.control.count('ExecuteStatement');
    await expect(f.db.query('SELECT * FROM no_such_table')).rejects.toMatchObject({ sqlState: '42P01' });
    expect(f.server.control.count('ExecuteStatement') - before).toBe(1);
  });

  test('counts every round trip in the request scope, retries included', async () => {
    const scope = new RequestScope();
    f.server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseResumingException' }, times: 1 });
    await runInRequestScope(async () => {
      await f.db.query('SELECT 1');
      await f.db.transaction(async (tx) => tx.query('SELECT 2'));
      expect(currentRequestScope()).toBe(scope);
    }, scope);
    // 2 attempts of the first statement, then begin + statement + commit.
    expect(scope.dbStatements).toBe(5);
  });
});
