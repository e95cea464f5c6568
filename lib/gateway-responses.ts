import { CORS_HEADERS } from '../lambdas/http/cors';
import { PROXY_MAX_REQUEST_BYTES } from '../lambdas/proxy/proxy-limits';
import { API_GATEWAY_MAX_REQUEST_BYTES, LAMBDA_MAX_EVENT_BYTES } from './topology';

/**
 * What API Gateway answers itself, before or instead of a function: its gateway responses, as plain
 * data. lib/constructs/api.ts deploys them and local/api-gateway/ answers with them, so a caller gets
 * Nango's error envelope (`{"error":{"code","message"}}`) and our CORS headers from either, never API
 * Gateway's `{"message":…}`. No aws-cdk-lib imports here: local/ reads this file.
 */

/** API Gateway's names (ResponseType) of the gateway responses we set. */
export type GatewayResponseType =
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'INVALID_SIGNATURE'
  | 'RESOURCE_NOT_FOUND'
  | 'REQUEST_TOO_LARGE'
  | 'THROTTLED'
  | 'WAF_FILTERED'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT';

export interface GatewayResponseSpec {
  /**
   * The status we answer; absent: API Gateway's own for the failure. Always absent on DEFAULT_4XX
   * and DEFAULT_5XX: a status there replaces the status of every 4xx or 5xx gateway response.
   */
  status?: number;
  code: string;
  /** Plain text: the body is a Velocity template, where `$` and `#` would be read as code. */
  message: string;
  /** Headers besides GATEWAY_RESPONSE_HEADERS. */
  headers?: Record<string, string>;
}

/** Roughly the largest body whose event still fits: base64 makes 3 bytes 4, and the rest of the event needs room. */
const LARGEST_BODY_MB = Math.floor(((LAMBDA_MAX_EVENT_BYTES * 3) / 4 / 1e6) * 10) / 10;

/** On every gateway response: a browser reads the error as it reads the functions' answers. */
export const GATEWAY_RESPONSE_HEADERS: Readonly<Record<string, string>> = CORS_HEADERS;

const NO_ROUTE = { status: 404, code: 'not_found', message: 'No route for this method and path; GET /openapi.json lists the routes.' };

export const GATEWAY_RESPONSES: Readonly<Record<GatewayResponseType, GatewayResponseSpec>> = {
  DEFAULT_4XX: { code: 'request_refused', message: 'API Gateway refused the request before it reached Latchkey.' },
  DEFAULT_5XX: {
    code: 'server_error',
    message: 'API Gateway got no usable answer from Latchkey; try again, and quote the x-amzn-RequestId header if it persists.',
  },
  // API Gateway's answer for a path or method no resource declares (every method of ours is
  // unauthenticated at API Gateway, so a signature error means the same: a caller's Authorization
  // header on a route that does not exist).
  MISSING_AUTHENTICATION_TOKEN: NO_ROUTE,
  INVALID_SIGNATURE: NO_ROUTE,
  RESOURCE_NOT_FOUND: NO_ROUTE,
  // Also API Gateway's answer when Lambda refuses the event as too large (docs/architecture.md).
  REQUEST_TOO_LARGE: {
    status: 413,
    code: 'request_too_large',
    message:
      `The request is too large: API Gateway takes bodies up to ${API_GATEWAY_MAX_REQUEST_BYTES} bytes and passes a function at most ` +
      `${LAMBDA_MAX_EVENT_BYTES} bytes with the body base64-encoded (about ${LARGEST_BODY_MB} MB of body); ` +
      `the proxy takes bodies up to ${PROXY_MAX_REQUEST_BYTES} bytes.`,
  },
  THROTTLED: {
    status: 429,
    code: 'too_many_request',
    message: "Too many requests: the API's rate limit was reached; retry after a pause.",
    headers: { 'Retry-After': '1' },
  },
  WAF_FILTERED: {
    status: 403,
    code: 'forbidden',
    message: 'The web application firewall blocked the request as a known-bad input.',
  },
  INTEGRATION_FAILURE: { code: 'server_error', message: 'API Gateway could not invoke the function; try again, and quote the x-amzn-RequestId header if it persists.' },
  INTEGRATION_TIMEOUT: { status: 504, code: 'timeout', message: "Latchkey did not answer within API Gateway's 29 seconds." },
};

/**
 * WAF's own answers for the rules a bare 403 would misreport (lib/constructs/waf.ts); WAF's custom
 * responses come before API Gateway's, so WAF_FILTERED is left to the known-bad-input rules.
 */
export type WafResponseSpec = GatewayResponseSpec & { status: number };

export const WAF_RESPONSES = {
  rateLimited: {
    status: 429,
    code: 'too_many_request',
    message: "Too many requests from this address: the firewall's per-IP rate limit (per 5 minutes) was reached; retry in a minute.",
    headers: { 'Retry-After': '60' },
  },
  connectBodyTooLarge: (maxKb: number): WafResponseSpec => ({
    status: 413,
    code: 'request_too_large',
    message: `The request is too large: the end users' connect routes take bodies up to ${maxKb} KB.`,
  }),
} as const;

/** Nango's error envelope of `spec`, as the response's body. */
export function errorEnvelope(spec: Pick<GatewayResponseSpec, 'code' | 'message'>): string {
  return JSON.stringify({ error: { code: spec.code, message: spec.message } });
}

/** The response's body, Nango's error envelope; also the template API Gateway is given. */
export function gatewayResponseBody(type: GatewayResponseType): string {
  return errorEnvelope(GATEWAY_RESPONSES[type]);
}

/** Every header of the response (CORS and the type's own). */
export function gatewayResponseHeaders(type: GatewayResponseType): Record<string, string> {
  return { ...GATEWAY_RESPONSE_HEADERS, ...GATEWAY_RESPONSES[type].headers };
}
