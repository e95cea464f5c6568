/**
 * Errors in log lines, without database text. PostgreSQL's message, `Detail:` and `Where:` (which
 * the Data API passes on) can quote the values of a statement — a request's JSON, a row's
 * contents — so a database error is logged by its class, its code and its SQLSTATE only, and its
 * stack by frames only (a stack starts with the message). An error whose `cause` chain holds a
 * database error is reduced the same way along the chain; any other error keeps the logger's
 * default shape.
 *
 * Used as the logger's `jsonReplacerFn`, which runs before the logger's own error formatting.
 */
export function withoutDatabaseText(_key: string, value: unknown): unknown {
  if (!(value instanceof Error) || !involvesDatabase(value)) return value;
  return redacted(value, 0);
}

/**
 * Our DatabaseError (lambdas/platform/db/errors.ts) and the RDS Data API client's own exceptions, which
 * carry the server's text when they reach us unwrapped.
 */
const DATABASE_ERROR_NAMES = new Set(['DatabaseError', 'DatabaseErrorException', 'BadRequestException', 'StatementTimeoutException']);
const SQLSTATE = /SQLState: ([0-9A-Z]{5})/;
const MAX_CAUSES = 5;

function isDatabaseError(error: Error): boolean {
  return DATABASE_ERROR_NAMES.has(error.name) || typeof (error as { sqlState?: unknown }).sqlState === 'string';
}

export function involvesDatabase(error: Error): boolean {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth <= MAX_CAUSES; depth += 1) {
    if (isDatabaseError(current)) return true;
    current = current.cause;
  }
  return false;
}

const frames = (stack: string | undefined) => stack?.split('\n').filter((line) => /^\s+at /.test(line));

function redacted(error: Error, depth: number): Record<string, unknown> {
  const cause = error.cause instanceof Error && depth < MAX_CAUSES ? redacted(error.cause, depth + 1) : undefined;
  if (!isDatabaseError(error)) {
    // Our own wrapper: its message is ours, but it may embed the cause's text, so it goes too.
    return { name: error.name, message: '(withheld: wraps a database error)', stack: frames(error.stack), ...(cause ? { cause } : {}) };
  }
  const { code, sqlState } = error as { code?: unknown; sqlState?: unknown };
  return {
    name: error.name,
    ...(typeof code === 'string' ? { code } : {}),
    sqlState: typeof sqlState === 'string' ? sqlState : SQLSTATE.exec(error.message ?? '')?.[1],
    message: '(database error text withheld: it may quote data)',
    stack: frames(error.stack),
    ...(cause ? { cause } : {}),
  };
}
