import type { APIGatewayProxyResult } from 'aws-lambda';
import type { FieldIssue } from '../platform/domain-error';

/**
 * An error the client caused or may see, in Nango's envelope
 * `{error:{code, message?, errors?, ...extra}}`. Its message is shown to the caller, so it must
 * never contain a secret.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message?: string,
    readonly errors?: FieldIssue[],
    readonly headers: Record<string, string> = {},
    /** More fields of `error`, e.g. `payload` or the 429's `method` and `path`. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message ?? code);
    this.name = 'ApiError';
    this.hasMessage = message !== undefined;
  }

  readonly hasMessage: boolean;
}

export function errorResult(err: ApiError): APIGatewayProxyResult {
  const error: Record<string, unknown> = { code: err.code };
  if (err.hasMessage) error.message = err.message;
  if (err.errors) error.errors = err.errors;
  Object.assign(error, err.extra);
  return { statusCode: err.statusCode, headers: { 'content-type': 'application/json', ...err.headers }, body: JSON.stringify({ error }) };
}

export function jsonResult(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

export function emptyResult(statusCode = 204, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers, body: '' };
}
