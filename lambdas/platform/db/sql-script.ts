/**
 * PostgreSQL's lexical rules for the parts of SQL text that are not tokens: string literals
 * ('…', with backslash escapes in E'…'), quoted identifiers, line comments, nesting block comments
 * and dollar-quoted bodies. The migration splitter below and the local Data API stand-in's
 * parameter binding (local/data-api/sql-binding.ts) both read SQL through it.
 */

/** A literal, quoted identifier, comment or dollar quote that never ends. */
export class UnterminatedSqlError extends Error {
  constructor(what: string, open: number) {
    super(`Unterminated ${what} starting at offset ${open}`);
    this.name = 'UnterminatedSqlError';
  }
}

const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * If a literal, quoted identifier, comment or dollar quote starts at `at`, the index just after
 * it; otherwise undefined. Throws UnterminatedSqlError when it runs to the end of `sql`.
 */
export function skipNonToken(sql: string, at: number): number | undefined {
  const c = sql[at];
  const next = sql[at + 1];
  const prev = sql[at - 1] ?? '';
  if (c === '-' && next === '-') return skipLineComment(sql, at);
  if (c === '/' && next === '*') return skipBlockComment(sql, at);
  // E'...' strings honour backslash escapes; standard strings only doubled quotes.
  if (c === "'") return skipQuoted(sql, at, "'", (prev === 'E' || prev === 'e') && !IDENT_CHAR.test(sql[at - 2] ?? ''));
  if (c === '"') return skipQuoted(sql, at, '"', false);
  // `$1` is a positional parameter, and an identifier may contain `$`: neither opens a quote.
  if (c === '$' && !IDENT_CHAR.test(prev)) {
    DOLLAR_TAG.lastIndex = at;
    const tag = DOLLAR_TAG.exec(sql)?.[0];
    if (tag === undefined) return undefined;
    const close = sql.indexOf(tag, at + tag.length);
    if (close < 0) throw new UnterminatedSqlError(`dollar-quoted string ${tag}`, at);
    return close + tag.length;
  }
  return undefined;
}

/**
 * Splits a SQL script into single statements. The Data API runs one statement per call, so
 * migration files are split here; `;` inside strings, quoted identifiers, comments and
 * dollar-quoted bodies (functions, DO blocks) does not split.
 */
export function splitSqlStatements(script: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < script.length) {
    const skipped = skipNonToken(script, i);
    if (skipped !== undefined) {
      i = skipped;
    } else if (script[i] === ';') {
      pushStatement(statements, script.slice(start, i));
      start = i + 1;
      i += 1;
    } else i += 1;
  }
  pushStatement(statements, script.slice(start));
  return statements;
}

function pushStatement(statements: string[], text: string): void {
  const trimmed = text.trim();
  if (stripComments(trimmed).trim()) statements.push(trimmed);
}

function stripComments(text: string): string {
  return text.replace(/--[^\n\r]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function skipQuoted(sql: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    if (backslashEscapes && sql[i] === '\\') i += 2;
    else if (sql[i] === quote && sql[i + 1] === quote) i += 2;
    else if (sql[i] === quote) return i + 1;
    else i += 1;
  }
  throw new UnterminatedSqlError(quote === "'" ? 'string literal' : 'quoted identifier', open);
}

/** PostgreSQL ends a line comment at either newline character. */
function skipLineComment(sql: string, open: number): number {
  let end = open + 2;
  while (end < sql.length && sql[end] !== '\n' && sql[end] !== '\r') end += 1;
  return end;
}

/** PostgreSQL block comments nest. */
function skipBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else i += 1;
  }
  throw new UnterminatedSqlError('block comment', open);
}
