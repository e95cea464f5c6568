import { ExecuteStatementCommand, RDSDataClient, type SqlParameter } from '@aws-sdk/client-rds-data';
import fc from 'fast-check';
import { DataApiServer, scanSql } from '../../../local/data-api';
import { createTestDatabase, type TestDatabase } from '../../support/databases';

// Property-based checks of parameter binding: values survive the round trip through the real SDK,
// the stand-in and PostgreSQL unchanged, whatever their text or name.

const ARNS = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey',
};

let database: TestDatabase;
let server: DataApiServer;
let client: RDSDataClient;

beforeAll(async () => {
  database = await createTestDatabase();
  server = new DataApiServer({ connectionString: database.url });
  const url = await server.start();
  client = new RDSDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
  await database.drop();
});

const paramName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,40}$/);
/** Any Unicode text PostgreSQL can store (it has no NUL in text). */
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 50 }), fc.string()).filter((s) => !s.includes('\u0000'));

const select = (sql: string, parameters: SqlParameter[]) => client.send(new ExecuteStatementCommand({ ...ARNS, sql, parameters }));

test('any string comes back identical from SELECT :name', async () => {
  await fc.assert(
    fc.asyncProperty(paramName, text, async (name, value) => {
      const out = await select(`SELECT :${name} AS v`, [{ name, value: { stringValue: value } }]);
      expect(out.records).toEqual([[{ stringValue: value }]]);
    }),
    { numRuns: 150 },
  );
});

test('any safe integer comes back identical as longValue', async () => {
  await fc.assert(
    fc.asyncProperty(paramName, fc.maxSafeInteger(), async (name, value) => {
      const out = await select(`SELECT :${name} AS v`, [{ name, value: { longValue: value } }]);
      expect(out.records).toEqual([[{ longValue: value }]]);
    }),
    { numRuns: 150 },
  );
});

test('several parameters bind to their own names', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.tuple(paramName, fc.integer()), { minLength: 1, maxLength: 6, selector: ([name]) => name }), async (pairs) => {
      const sql = `SELECT ${pairs.map(([name], i) => `:${name} AS c${i}`).join(', ')}`;
      // Parameters in reverse order: binding is by name, not by position.
      const parameters = [...pairs].reverse().map(([name, value]) => ({ name, value: { longValue: value } }));
      const out = await select(sql, parameters);
      expect(out.records).toEqual([pairs.map(([, value]) => ({ longValue: value }))]);
    }),
    { numRuns: 60 },
  );
});

describe('the scanner ignores whatever sits inside quotes and comments', () => {
  const wrapped = fc.oneof(
    text.map((s) => `'${s.replaceAll("'", "''")}'`),
    text.map((s) => `E'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`),
    text.map((s) => `"${s.replaceAll('"', '""')}"`),
    // Spaces keep the body from forming a delimiter with the quote or comment marks.
    text.filter((s) => !s.includes('$q$')).map((s) => `$q$ ${s} $q$`),
    text.filter((s) => !s.includes('/*') && !s.includes('*/')).map((s) => `/* ${s} */`),
    text.filter((s) => !s.includes('\n') && !s.includes('\r')).map((s) => `--${s}\n`),
  );

  test('no parameter and no statement break is found inside, the one outside is', () => {
    fc.assert(
      fc.property(fc.array(wrapped, { maxLength: 4 }), paramName, (parts, name) => {
        const scan = scanSql(`SELECT ${parts.join(' ')} :${name} ${parts.join(' ')}`);
        expect(scan.params.map((p) => p.name)).toEqual([name]);
        expect(scan.hasSemicolon).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  test('PostgreSQL agrees: a quoted string round-trips next to a real parameter', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.integer(), async (s, n) => {
        const literal = `'${s.replaceAll("'", "''")}'`;
        const out = await select(`SELECT ${literal} AS s, :n AS n`, [{ name: 'n', value: { longValue: n } }]);
        expect(out.records).toEqual([[{ stringValue: s }, { longValue: n }]]);
      }),
      { numRuns: 100 },
    );
  });
});
