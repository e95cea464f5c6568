import { AwsServiceError } from '../aws-http';

/*
 * Error names follow the Data API for Aurora Serverless v2 / provisioned clusters (aws-facts §1.7),
 * and only names the SDK declares, so `instanceof`/`name` checks work as they do against AWS:
 *
 * - Request-shape problems (malformed JSON, missing/over-long members, bad unions, unknown enum
 *   values, array parameters, `schema`, empty parameterSets): BadRequestException (400). The model
 *   marks it v1-era, but it is the only request-validation error the model (and so the SDK) declares;
 *   a generic `ValidationException` would reach callers as an untyped RDSDataServiceException.
 * - Anything found while preparing or running SQL (PostgreSQL errors, missing parameter values,
 *   multi-statements, badly formatted typeHint values, "still running a query", size limits):
 *   DatabaseErrorException (400), the v2 name for SQL errors.
 * - Unknown/finished/aborted transactions: TransactionNotFoundException (404).
 */

export function badRequest(message: string): AwsServiceError {
  return new AwsServiceError('BadRequestException', message, 400);
}

export function databaseError(message: string): AwsServiceError {
  return new AwsServiceError('DatabaseErrorException', message, 400);
}

export function transactionNotFound(transactionId: string): AwsServiceError {
  return new AwsServiceError('TransactionNotFoundException', `Transaction ${transactionId} isn't found`, 404);
}

export function transactionBusy(): AwsServiceError {
  return databaseError('Transaction is still running a query');
}

/** dbConnectionId is the backend pid, as the service reports the connection that ran the statement. */
export function statementTimeout(dbConnectionId: number, timeoutMs: number): AwsServiceError {
  return new AwsServiceError('StatementTimeoutException', `Statement timed out after ${timeoutMs} ms`, 400, { dbConnectionId });
}

export function unsupportedResult(message: string): AwsServiceError {
  return new AwsServiceError('UnsupportedResultException', message, 400);
}

export function unknownOperation(method: string, path: string): AwsServiceError {
  return new AwsServiceError('UnknownOperationException', `No operation for ${method} ${path}`, 404);
}

/** The fields of node-postgres' DatabaseError that the message uses. */
interface PgErrorLike {
  message: string;
  code?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

export function isPgError(err: unknown): err is PgErrorLike & Error {
  return err instanceof Error && typeof (err as PgErrorLike).code === 'string' && /^[0-9A-Z]{5}$/.test((err as PgErrorLike).code ?? '');
}

/**
 * Formats a PostgreSQL error the way the service does (a JDBC-style server message, then
 * `; SQLState: <code>`). `mapPosition` turns a position in the rewritten SQL back into one in the
 * caller's SQL, so `Position:` points where the caller expects.
 */
export function fromPgError(err: PgErrorLike, mapPosition: (pos: number) => number = (p) => p): AwsServiceError {
  let text = `${err.severity ?? 'ERROR'}: ${err.message}`;
  if (err.detail) text += `\n  Detail: ${err.detail}`;
  if (err.hint) text += `\n  Hint: ${err.hint}`;
  if (err.position) text += `\n  Position: ${mapPosition(Number(err.position))}`;
  if (err.where) text += `\n  Where: ${err.where}`;
  return databaseError(`${text}; SQLState: ${err.code}`);
}

/** Any failure of a statement: AwsServiceErrors pass through, PostgreSQL errors are wrapped. */
export function toServiceError(err: unknown, mapPosition?: (pos: number) => number): AwsServiceError {
  if (err instanceof AwsServiceError) return err;
  if (isPgError(err)) return fromPgError(err, mapPosition);
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
    return new AwsServiceError('DatabaseUnavailableException', 'The database is not available', 504);
  }
  return new AwsServiceError('InternalServerErrorException', `Internal error: ${(err as Error)?.message ?? String(err)}`, 500);
}
