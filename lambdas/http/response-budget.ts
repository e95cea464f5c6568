import type { APIGatewayProxyResult } from 'aws-lambda';
import { ApiError } from './errors';

/*
 * The one size budget of a response. Lambda refuses a function result over 6 MB (6,291,556
 * bytes as it counts them: the proxy result serialized as JSON, so the body's quotes and
 * backslashes count twice) and API Gateway then answers a bare 502; a REST API also refuses
 * more than 10 MB. Every answer is measured here, and every list page is cut to fit by
 * `pagedList` (paged-list.ts), which spends this same budget.
 */

/** The serialized proxy result may use this much: Lambda's limit less room for headers added on the way out. */
export const RESPONSE_BUDGET_BYTES = 6_000_000;

/** What a list page's items may use: the budget less room for the envelope, `next_cursor` and headers. */
export const LIST_ITEMS_BUDGET_BYTES = RESPONSE_BUDGET_BYTES - 64 * 1024;

/**
 * What a gzipped list page's items may compress to: the items' budget as base64 carries it,
 * less room for the envelope around them.
 */
export const GZIP_LIST_ITEMS_BUDGET_BYTES = Math.floor((LIST_ITEMS_BUDGET_BYTES * 3) / 4) - 64 * 1024;

/** A gzipped page's items before compression: bounds the memory and time one page may take. */
export const GZIP_LIST_ITEMS_MAX_RAW_BYTES = 32 * 1024 * 1024;

/** Bytes `value` adds inside a proxy result's body: its JSON, escaped once more as a JSON string. */
export function bodyBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(value))) - 2;
}

/** Bytes of the proxy result as Lambda counts them. */
function resultBytes(result: APIGatewayProxyResult): number {
  return Buffer.byteLength(JSON.stringify(result));
}

/**
 * The result, or — when it would pass the budget — a 500 `response_too_large` in Nango's envelope
 * instead of the bare 502 Lambda and API Gateway would answer. Lists page themselves and single
 * documents are capped at write time, so only a bug gets here; it is logged as one by the caller.
 */
export function withinBudget(result: APIGatewayProxyResult): APIGatewayProxyResult {
  const bytes = resultBytes(result);
  if (bytes <= RESPONSE_BUDGET_BYTES) return result;
  throw new ResponseTooLarge(bytes);
}

export class ResponseTooLarge extends ApiError {
  constructor(readonly bytes: number) {
    super(500, 'response_too_large', `The response would be ${bytes} bytes; a response may be at most ${RESPONSE_BUDGET_BYTES} bytes. Ask for fewer rows (limit) or follow next_cursor.`);
  }
}
