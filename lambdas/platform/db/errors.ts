/** A Data API failure the caller cannot fix by retrying; the message never holds parameter values. */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** PostgreSQL SQLSTATE when the service reported one (e.g. 23505 unique violation). */
    readonly sqlState?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }

  get isUniqueViolation(): boolean {
    return this.sqlState === '23505';
  }
}

const SQLSTATE = /SQLState: ([0-9A-Z]{5})/;

export function toDatabaseError(err: unknown): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const name = (err as { name?: string })?.name ?? 'Error';
  const message = (err as { message?: string })?.message ?? String(err);
  return new DatabaseError(`${name}: ${message}`, name, SQLSTATE.exec(message)?.[1], { cause: err });
}
