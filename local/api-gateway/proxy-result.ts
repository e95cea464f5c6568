import { validateHeaderName, validateHeaderValue } from 'node:http';
import { GATEWAY_RESPONSES, gatewayResponseBody, gatewayResponseHeaders, type GatewayResponseType } from '../../lib/gateway-responses';

/** What the server writes back; header names keep the handler's casing. */
export interface HttpResponse {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

/**
 * An answer API Gateway gives itself, as the stack's gateway response of `type` makes it
 * (lib/gateway-responses.ts): `status` is API Gateway's own for the failure, used when the
 * response sets none; `errorType` is the x-amzn-ErrorType it adds.
 */
export function gatewayResponse(type: GatewayResponseType, status: number, errorType?: string): HttpResponse {
  const headers: Record<string, string[]> = { 'Content-Type': ['application/json'] };
  for (const [name, value] of Object.entries(gatewayResponseHeaders(type))) headers[name] = [value];
  if (errorType) headers['x-amzn-ErrorType'] = [errorType];
  return { status: GATEWAY_RESPONSES[type].status ?? status, headers, body: Buffer.from(gatewayResponseBody(type)) };
}

/** A function error or a result API Gateway cannot use (malformed, too large). */
export const MALFORMED = () => gatewayResponse('DEFAULT_5XX', 502, 'InternalServerErrorException');

// The gateway frames the response itself; a handler's values would contradict the real body.
const OWNED_BY_GATEWAY = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Turns a proxy integration result into the HTTP response, or null when API Gateway would call
 * it a "Malformed Lambda proxy response" (which the caller answers with 502).
 */
export function toHttpResponse(result: unknown): HttpResponse | null {
  if (!isObject(result)) return null;
  const { statusCode, headers, multiValueHeaders, body, isBase64Encoded } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return null;
  if (body !== undefined && body !== null && typeof body !== 'string') return null;
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') return null;
  let merged: Record<string, string[]> | null;
  try {
    merged = mergeHeaders(headers, multiValueHeaders);
  } catch {
    return null;
  }
  if (!merged) return null;
  if (!Object.keys(merged).some((k) => k.toLowerCase() === 'content-type')) {
    merged['Content-Type'] = ['application/json']; // REST APIs default the type when the handler sets none
  }
  const text = typeof body === 'string' ? body : '';
  return { status: statusCode, headers: merged, body: Buffer.from(text, isBase64Encoded ? 'base64' : 'utf8') };
}

/**
 * `headers` and `multiValueHeaders` merged into one list per name (names compared without case);
 * a value present in both appears once (AWS: "only the values from multiValueHeaders").
 */
function mergeHeaders(single: unknown, multi: unknown): Record<string, string[]> | null {
  if (!isOptionalObject(single) || !isOptionalObject(multi)) return null;
  const out: Record<string, string[]> = {};
  const add = (name: string, values: string[]) => {
    if (OWNED_BY_GATEWAY.has(name.toLowerCase())) return;
    validateHeaderName(name); // throws on names/values HTTP cannot carry: malformed, as at AWS
    values.forEach((v) => validateHeaderValue(name, v));
    const key = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
    const list = (out[key] ??= []);
    for (const value of values) if (!list.includes(value)) list.push(value);
  };
  for (const [name, values] of Object.entries(multi ?? {})) {
    if (!Array.isArray(values) || !values.every(isScalar)) return null;
    add(name, values.map(String));
  }
  for (const [name, value] of Object.entries(single ?? {})) {
    if (!isScalar(value)) return null;
    add(name, [String(value)]);
  }
  return out;
}

function isOptionalObject(value: unknown): value is Record<string, unknown> | null | undefined {
  return value === undefined || value === null || isObject(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
