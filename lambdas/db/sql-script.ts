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
    const ch = script[i];
    const next = script[i + 1];
    if (ch === "'") i = skipQuoted(script, i, "'", isEscapeString(script, i));
    else if (ch === '"') i = skipQuoted(script, i, '"', false);
    else if (ch === '-' && next === '-') i = skipLineComment(script, i);
    else if (ch === '/' && next === '*') i = skipBlockComment(script, i);
    else if (ch === '$' && dollarTag(script, i)) i = skipDollarQuoted(script, i);
    else if (ch === ';') {
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
  return text.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function isEscapeString(script: string, quote: number): boolean {
  const prefix = script[quote - 1];
  return (prefix === 'E' || prefix === 'e') && !/[A-Za-z0-9_]/.test(script[quote - 2] ?? '');
}

function skipQuoted(script: string, open: number, quote: string, backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < script.length) {
    if (backslashEscapes && script[i] === '\\') i += 2;
    else if (script[i] === quote && script[i + 1] === quote) i += 2;
    else if (script[i] === quote) return i + 1;
    else i += 1;
  }
  throw new Error(`Unterminated ${quote === "'" ? 'string literal' : 'quoted identifier'} starting at offset ${open}`);
}

function skipLineComment(script: string, open: number): number {
  const end = script.indexOf('\n', open);
  return end < 0 ? script.length : end + 1;
}

function skipBlockComment(script: string, open: number): number {
  // PostgreSQL block comments nest.
  let depth = 0;
  let i = open;
  while (i < script.length) {
    if (script[i] === '/' && script[i + 1] === '*') {
      depth += 1;
      i += 2;
    } else if (script[i] === '*' && script[i + 1] === '/') {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else i += 1;
  }
  throw new Error(`Unterminated block comment starting at offset ${open}`);
}

const DOLLAR_TAG = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

function dollarTag(script: string, at: number): string | undefined {
  // `$1` is a positional parameter, and an identifier may contain `$`: neither opens a quote.
  if (/[A-Za-z0-9_]/.test(script[at - 1] ?? '')) return undefined;
  return DOLLAR_TAG.exec(script.slice(at, at + 64))?.[0];
}

function skipDollarQuoted(script: string, open: number): number {
  const tag = dollarTag(script, open) as string;
  const end = script.indexOf(tag, open + tag.length);
  if (end < 0) throw new Error(`Unterminated dollar-quoted string ${tag} starting at offset ${open}`);
  return end + tag.length;
}
