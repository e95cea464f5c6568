import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { AsyncLocalStorage } from 'node:async_hooks';
import { gzipSync } from 'node:zlib';
import { acceptsGzip } from './accept-encoding';
import { GZIP_LEVEL } from './gzip-size';
import { header } from './request-parts';

/*
 * Our JSON answers go out gzipped when the client accepts it: the body is base64 in the proxy
 * result (every media type is binary to our API Gateway, so the client gets the bytes), and Lambda's
 * 6 MB then holds far more rows. API Gateway's own compression (minimumCompressionSize) stays
 * off: it would not know our budget, and it skips answers that carry a Content-Encoding anyway.
 * Bodies already base64 (the proxy's upstream bytes, with the upstream's Content-Encoding) pass as they are.
 */

/** Below this a body fits the first TCP round trip (initial window about 14 KB) anyway: gzip would cost CPU and save no time. */
export const GZIP_MIN_BYTES = 8 * 1024;

const requestAcceptsGzip = new AsyncLocalStorage<boolean>();

/** Runs the request's work knowing whether its answer may be gzipped (pagedList sizes pages by it). */
export function runWithResponseCoding<T>(event: APIGatewayProxyEvent, work: () => Promise<T>): Promise<T> {
  return requestAcceptsGzip.run(acceptsGzip(header(event, 'accept-encoding')), work);
}

/** Whether the current request's answer will be gzipped when large. */
export function answerMayBeGzipped(): boolean {
  return requestAcceptsGzip.getStore() ?? false;
}

/** The result with its body gzipped when the client accepts gzip and the JSON body is large enough. */
export function encodeResult(result: APIGatewayProxyResult, event: APIGatewayProxyEvent): APIGatewayProxyResult {
  if (result.isBase64Encoded || !isJson(result) || hasHeader(result, 'content-encoding')) return result;
  const headers = withoutHeader(result.headers, 'vary');
  headers.vary = varyWithAcceptEncoding(result);
  const body = result.body ?? '';
  if (!acceptsGzip(header(event, 'accept-encoding')) || Buffer.byteLength(body) < GZIP_MIN_BYTES) return { ...result, headers };
  const compressed = gzipSync(body, { level: GZIP_LEVEL });
  return { ...result, headers: { ...headers, 'content-encoding': 'gzip' }, body: compressed.toString('base64'), isBase64Encoded: true };
}

function isJson(result: APIGatewayProxyResult): boolean {
  const type = headerOf(result, 'content-type');
  // API Gateway answers application/json when a result names no type.
  return type === undefined || /^application\/([\w.+-]*\+)?json\b/i.test(String(type));
}

function varyWithAcceptEncoding(result: APIGatewayProxyResult): string {
  const vary = headerOf(result, 'vary');
  return vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding';
}

function withoutHeader(headers: APIGatewayProxyResult['headers'], name: string): NonNullable<APIGatewayProxyResult['headers']> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([k]) => k.toLowerCase() !== name));
}

function hasHeader(result: APIGatewayProxyResult, name: string): boolean {
  return headerOf(result, name) !== undefined || Object.keys(result.multiValueHeaders ?? {}).some((k) => k.toLowerCase() === name);
}

function headerOf(result: APIGatewayProxyResult, name: string): string | number | boolean | undefined {
  const key = Object.keys(result.headers ?? {}).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : result.headers![key];
}
