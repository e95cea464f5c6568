import type { APIGatewayProxyResult } from 'aws-lambda';

export interface ValidationIssue {
  code: string;
  message: string;
  path: string[];
}

/**
 * An error the client caused or may see, in Nango's envelope `{error:{code,message,errors?}}`.
 * Its message is shown to the caller, so it must never contain a secret.
 */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly errors?: ValidationIssue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorResult(err: ApiError): APIGatewayProxyResult {
  const body: { error: { code: string; message: string; errors?: ValidationIssue[] } } = { error: { code: err.code, message: err.message } };
  if (err.errors) body.error.errors = err.errors;
  return { statusCode: err.statusCode, headers: { 'content-type': 'application/json', ...err.headers }, body: JSON.stringify(body) };
}

export function jsonResult(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
