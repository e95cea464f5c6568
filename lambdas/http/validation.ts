import type * as z from 'zod';
import { ApiError, type ValidationIssue } from './errors';

/** Nango's `errors[]` entries, from zod issues: `{code, message, path}`. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ code: issue.code, message: issue.message, path: issue.path.map(String) }));
}

/** Parses `input` with `schema`, or throws a 400 with Nango's code for that part of the request. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, code: 'invalid_query_params' | 'invalid_body' | 'invalid_uri_params' | 'invalid_headers'): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, code, describe(code), toValidationIssues(parsed.error));
}

function describe(code: string): string {
  switch (code) {
    case 'invalid_query_params':
      return 'Invalid query parameters';
    case 'invalid_uri_params':
      return 'Invalid URI parameters';
    case 'invalid_headers':
      return 'Invalid headers';
    default:
      return 'Invalid request body';
  }
}
