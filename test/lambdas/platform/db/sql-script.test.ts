import { splitSqlStatements } from '../../../../lambdas/platform/db/sql-script';

describe('splitSqlStatements', () => {
  test('splits on top-level semicolons and drops empty and comment-only pieces', () => {
    expect(splitSqlStatements('CREATE TABLE a (x int);\n\n-- note;\nINSERT INTO a VALUES (1);;  /* tail; */ ')).toEqual([
      'CREATE TABLE a (x int)',
      '-- note;\nINSERT INTO a VALUES (1)',
    ]);
  });

  test.each([
    ["SELECT 'a;b', 'it''s;'; SELECT 2", ["SELECT 'a;b', 'it''s;'", 'SELECT 2']],
    ["SELECT E'back\\'slash;'; SELECT 2", ["SELECT E'back\\'slash;'", 'SELECT 2']],
    ['SELECT "weird;name" FROM t; SELECT 2', ['SELECT "weird;name" FROM t', 'SELECT 2']],
    ['DO $$ BEGIN PERFORM 1; END $$; SELECT 2', ['DO $$ BEGIN PERFORM 1; END $$', 'SELECT 2']],
    ['CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql; SELECT 2', ['CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql', 'SELECT 2']],
    ['SELECT 1 /* a /* nested; */ still; */; SELECT 2', ['SELECT 1 /* a /* nested; */ still; */', 'SELECT 2']],
    ['SELECT $1; SELECT a$b FROM t', ['SELECT $1', 'SELECT a$b FROM t']],
    ['SELECT 1 -- a;\rcomment ends at CR; SELECT 2', ['SELECT 1 -- a;\rcomment ends at CR', 'SELECT 2']],
    ['DO $été$ BEGIN PERFORM 1; END $été$; SELECT 2', ['DO $été$ BEGIN PERFORM 1; END $été$', 'SELECT 2']],
    ['SELECT a$$b; SELECT 2', ['SELECT a$$b', 'SELECT 2']],
  ])('keeps semicolons inside quotes, comments and bodies: %s', (script, expected) => {
    expect(splitSqlStatements(script)).toEqual(expected);
  });

  test.each(["SELECT 'open", 'SELECT "open', 'SELECT /* open', 'DO $x$ open'])('rejects an unterminated construct: %s', (script) => {
    expect(() => splitSqlStatements(script)).toThrow(/Unterminated/);
  });
});
