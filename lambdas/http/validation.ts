import type * as z from 'zod';
import type { FieldIssue } from '../platform/domain-error';
import { ApiError } from './errors';

type RequestPart = 'invalid_query_params' | 'invalid_body' | 'invalid_uri_params' | 'invalid_headers';

/** Nango's `errors[]` entries, from zod issues: `{code, message, path}`. */
export function toValidationIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ code: issue.code, message: issue.message, path: issue.path.map(String) }));
}

/**
 * Parses `input` with `schema`, or throws a 400 with Nango's code for that part of the request.
 * Every part of every request passes here, so the text rules (`assertStorableText`) hold for all
 * routes whatever their schema says.
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, code: RequestPart): T {
  assertStorableText(input, code);
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ApiError(400, code, describe(code), toValidationIssues(parsed.error));
}

/** A UTF-16 code unit of a surrogate pair without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored as PostgreSQL text or jsonb (UTF-8, no NUL), or undefined when it can. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000)';
  if (LONE_SURROGATE.test(text)) return 'must be well-formed Unicode (it contains a lone surrogate)';
  return undefined;
}

/**
 * Rejects NUL and lone surrogates in every string and object key of a request part: PostgreSQL
 * stores neither (text and jsonb refuse them), so they would otherwise fail deep in a statement.
 * Iterative, so no input shape can exhaust the stack.
 */
export function assertStorableText(input: unknown, code: RequestPart): void {
  const pending: Array<{ value: unknown; path: string[] }> = [{ value: input, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) throw textError(code, path, `Text ${problem}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => pending.push({ value: item, path: [...path, String(i)] }));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        const problem = unstorableText(key);
        if (problem) throw textError(code, [...path, escaped(key)], `A key ${problem}`);
        pending.push({ value: item, path: [...path, key] });
      }
    }
  }
}

function textError(code: RequestPart, path: string[], message: string): ApiError {
  return new ApiError(400, code, describe(code), [{ code: 'invalid_text', message, path }]);
}

/** The key as JSON escapes it (`\u0000`, `\ud800`), so the error itself is storable and printable. */
function escaped(key: string): string {
  return JSON.stringify(key).slice(1, -1);
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
