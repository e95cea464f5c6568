import type { APIGatewayProxyEvent } from 'aws-lambda';
import qs from 'qs';
import { ApiError } from './errors';

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * The query as Express's `qs` parser would see it (`tags[team]=a` → `{tags:{team:'a'}}`, repeated
 * keys → arrays), rebuilt from API Gateway's decoded multi-value map.
 */
export function parseQuery(event: APIGatewayProxyEvent): Record<string, unknown> {
  const multi = event.multiValueQueryStringParameters ?? {};
  const pairs: string[] = [];
  for (const [key, values] of Object.entries(multi)) {
    for (const value of values ?? []) pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  }
  return qs.parse(pairs.join('&'), { depth: 2, arrayLimit: 100, parameterLimit: 200, allowPrototypes: false });
}

/**
 * Deepest nesting of arrays and objects a body may have. Far above any document we store, and low
 * enough that no recursive step after parsing (schemas, JSON.stringify, jsonb) can run out of stack.
 */
export const MAX_JSON_DEPTH = 64;

/** The JSON body; a body with another content type is 415 and malformed JSON is 400, as in Nango. */
export function parseJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(contentType.trim())) {
    throw new ApiError(415, 'invalid_content_type', 'Content-Type must be application/json');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    throw new ApiError(400, 'invalid_json', `The request body nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, 'invalid_json', 'The request body is not valid JSON');
  }
}

/** Everything after the literal "Bearer " (Nango also accepts a raw key without the prefix). */
export function bearerToken(event: APIGatewayProxyEvent): string | undefined {
  const value = header(event, 'authorization');
  if (value === undefined) return undefined;
  return value.includes('Bearer ') ? value.split('Bearer ').pop()?.trim() : value.trim();
}

/** True when `text` opens more than `limit` nested arrays/objects; a scan before parsing, strings skipped. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
  }
  return false;
}
