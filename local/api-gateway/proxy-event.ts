import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BINARY_MEDIA_TYPES } from '../../lib/topology';
import { LOCAL_ACCOUNT_ID } from '../lambda-context';
import { decode } from './route-table';

/** The parts of an HTTP request the event is made from (no sockets: easy to build in tests). */
export interface IncomingRequest {
  method: string;
  /** Request target as sent: raw path plus query string. */
  url: string;
  /** Name/value pairs with the client's casing, as node:http's `rawHeaders`. */
  rawHeaders: string[];
  body: Buffer;
  sourceIp: string;
  localPort: number;
  httpVersion: string;
}

export interface RequestIds {
  requestId: string;
  extendedRequestId: string;
  /** `Root=1-<epoch hex>-<24 hex>`, sent on as X-Amzn-Trace-Id unless the client sent one. */
  traceId: string;
  receivedAt: Date;
}

export interface MatchedResource {
  resource: string;
  pathParameters: Record<string, string> | null;
}

/** Fixed local API id (10 lowercase alphanumerics, like a real one). */
export const LOCAL_API_ID = 'latchkey00';

/** Builds the REST API (v1) Lambda proxy integration event, field for field. */
export function buildProxyEvent(req: IncomingRequest, match: MatchedResource, stage: string, ids: RequestIds): APIGatewayProxyEvent {
  const queryAt = req.url.indexOf('?');
  const path = queryAt < 0 ? req.url : req.url.slice(0, queryAt);
  const query = parseQuery(queryAt < 0 ? '' : req.url.slice(queryAt + 1));
  const multiValueHeaders = groupHeaders(req, ids.traceId);
  const headers = lastValues(multiValueHeaders)!;
  const contentType = headerValue(headers, 'content-type');
  const binary = req.body.length > 0 && isBinaryContentType(contentType);
  const host = headerValue(headers, 'host') ?? `localhost:${req.localPort}`;
  return {
    resource: match.resource,
    path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: lastValues(query),
    multiValueQueryStringParameters: query,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      resourceId: resourceId(match.resource),
      resourcePath: match.resource,
      httpMethod: req.method,
      extendedRequestId: ids.extendedRequestId,
      requestTime: formatRequestTime(ids.receivedAt),
      path: `/${stage}${path}`,
      accountId: LOCAL_ACCOUNT_ID,
      protocol: `HTTP/${req.httpVersion}`,
      stage,
      domainPrefix: host.split(':')[0].split('.')[0],
      requestTimeEpoch: ids.receivedAt.getTime(),
      requestId: ids.requestId,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: headerValue(headers, 'user-agent') ?? null,
        userArn: null,
      },
      domainName: host,
      apiId: LOCAL_API_ID,
      authorizer: null,
    },
    body: req.body.length === 0 ? null : req.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
}

/**
 * A body whose Content-Type matches one of the stack's binaryMediaTypes (lib/topology.ts; `type/*`
 * and `*\/*` wildcards as API Gateway reads them) arrives base64-encoded; others as UTF-8 text.
 */
export function isBinaryContentType(contentType: string | undefined, mediaTypes: readonly string[] = BINARY_MEDIA_TYPES): boolean {
  if (!contentType) return false; // no type: API Gateway cannot match a binary media type either
  const [type, subtype] = contentType.split(';')[0].trim().toLowerCase().split('/');
  return mediaTypes.some((pattern) => {
    const [patternType, patternSubtype] = pattern.toLowerCase().split('/');
    return (patternType === '*' || patternType === type) && (patternSubtype === '*' || patternSubtype === subtype);
  });
}

/** Headers by name as sent, plus what a regional endpoint adds in front of the integration. */
function groupHeaders(req: IncomingRequest, traceId: string): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    (grouped[req.rawHeaders[i]] ??= []).push(req.rawHeaders[i + 1]);
  }
  const named = (name: string) => Object.keys(grouped).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
  const xff = named('X-Forwarded-For');
  if (grouped[xff]) grouped[xff][grouped[xff].length - 1] += `, ${req.sourceIp}`;
  else grouped[xff] = [req.sourceIp];
  grouped[named('X-Forwarded-Port')] = [String(req.localPort)];
  grouped[named('X-Forwarded-Proto')] = ['http'];
  grouped[named('X-Amzn-Trace-Id')] ??= [traceId];
  return grouped;
}

/** `a=1&a=2&b` → { a: ['1', '2'], b: [''] }, decoded like a form (`+` is a space); null when empty. */
export function parseQuery(query: string): Record<string, string[]> | null {
  const out: Record<string, string[]> = {};
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode((eq < 0 ? pair : pair.slice(0, eq)).replaceAll('+', ' '));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1).replaceAll('+', ' '));
    (out[key] ??= []).push(value);
  }
  return Object.keys(out).length > 0 ? out : null;
}

function lastValues(multi: Record<string, string[]> | null): Record<string, string> | null {
  if (!multi) return null;
  return Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** Stable per resource, like the id API Gateway gives a resource at creation. */
function resourceId(resource: string): string {
  return createHash('sha1').update(resource).digest('hex').slice(0, 6);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `22/Nov/2025:23:47:01 +0000`, the CLF-style time API Gateway puts in requestTime. */
export function formatRequestTime(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${p(at.getUTCHours())}:${p(at.getUTCMinutes())}:${p(at.getUTCSeconds())} +0000`;
}
