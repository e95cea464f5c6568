/**
 * Single-user rotation of the database secret (every 30 days, and once when the stack is created)
 * sets the new password in PostgreSQL a moment before the secret's AWSCURRENT version moves, and
 * the Data API may hold the old version a little longer. Statements in that window fail with
 * PostgreSQL's "password authentication failed" (SQLSTATE 28P01), whatever exception name the
 * Data API wraps it in; a brief retry outlasts the window.
 */
const AUTHENTICATION_FAILURE = /password authentication failed|SQLState: 28P01/i;

export function isRotationAuthenticationFailure(err: unknown): boolean {
  const message = (err as { message?: unknown })?.message;
  return typeof message === 'string' && AUTHENTICATION_FAILURE.test(message);
}
