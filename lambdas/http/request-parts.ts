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

/** The JSON body; a body with another content type is 415 and malformed JSON is 400, as in Nango. */
export function parseJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const contentType = header(event, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(contentType.trim())) {
    throw new ApiError(415, 'invalid_content_type', 'Content-Type must be application/json');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
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
