import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { auditFrom } from '../../http/audit-request';
import { defineRoute, type AnyRoute, type HttpMethod } from '../../http/route';
import { parseOrThrow } from '../../http/validation';
import { refreshConnection } from '../../connections/refresh/refresh-coordinator';
import { proxyCall } from '../../proxy/proxy-call';
import { PROXY_MAX_REQUEST_BYTES, PROXY_MAX_RESPONSE_BYTES } from '../../proxy/proxy-limits';
import { ProxyHeadersDocumented, ProxyHeadersSchema, type ProxyMethod } from '../../proxy/proxy-schema';

/**
 * Nango's proxy (§2.4 of the wire reference): `<METHOD> /proxy/<endpoint>` calls the connection's
 * provider at `<base URL>/<endpoint>` with the query string and body as sent and the connection's
 * credentials injected, and answers with the upstream's status, headers and body bytes.
 */

const PREFIX = '/proxy';
/** Any query: it is the upstream's. */
const AnyQuery = z.record(z.string(), z.unknown());

function proxyRoute(method: ProxyMethod & HttpMethod): AnyRoute {
  return defineRoute({
    method,
    path: `${PREFIX}/{proxy+}`,
    summary: `Calls the connection's provider with ${method} and its credentials injected (headers Connection-Id, Provider-Config-Key; Nango-Proxy-* forwarded)`,
    tag: 'Proxy',
    auth: 'secret_key',
    scope: 'environment:proxy',
    query: AnyQuery,
    rawBody: true,
    forwardsUpstream: true,
    documentedHeaders: ProxyHeadersDocumented,
    responses: {
      200: { description: "The upstream's answer: its status, headers (hop-by-hop, CORS, cookies and credential-bearing ones removed) and body" },
      400: { description: 'invalid_headers, base_url_override_not_allowed, missing_base_url, missing_connection_config, invalid_auth_mode, host_not_allowed (a private target), or server_error (unknown connection)' },
      404: { description: 'unknown_provider_config' },
      413: { description: `request_too_large: the body is over ${PROXY_MAX_REQUEST_BYTES} bytes` },
      424: { description: 'invalid_credentials: the token is due and its renewal is cooling down or needs the end user' },
      502: { description: `provider_unavailable (the upstream could not be reached) or response_too_large (over ${PROXY_MAX_RESPONSE_BYTES} bytes)` },
      503: { description: 'connection_refresh_in_progress: another renewal held on too long (retry-after)' },
      504: { description: 'provider_timeout: the upstream did not answer within the time left' },
    },
    handle: async (request) => {
      const { event, principal, now, services } = request;
      const options = parseOrThrow(ProxyHeadersSchema, lowerCased(event.headers), 'invalid_headers');
      const answer = await proxyCall({
        db: services.db,
        cipher: services.cipher,
        key: { environmentId: principal.environmentId, providerConfigKey: options['provider-config-key'], connectionId: options['connection-id'] },
        method,
        endpoint: endpointOf(event),
        query: queryPairs(event),
        headers: event.headers ?? {},
        options,
        body: bodyOf(event),
        now,
        audit: auditFrom(request),
        refresh: refreshConnection,
      });
      return toResult(answer.status, answer.headers, answer.body);
    },
  });
}

function lowerCased(headers: APIGatewayProxyEvent['headers']): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The path after `/proxy`, still percent-encoded as sent. */
function endpointOf(event: APIGatewayProxyEvent): string {
  const rest = event.path.startsWith(PREFIX) ? event.path.slice(PREFIX.length) : event.path;
  return rest || '/';
}

function queryPairs(event: APIGatewayProxyEvent): Array<[string, string]> {
  return Object.entries(event.multiValueQueryStringParameters ?? {}).flatMap(([name, values]) => (values ?? []).map((value): [string, string] => [name, value]));
}

/** The bytes as the caller sent them: API Gateway hands binary media base64-encoded, text as UTF-8. */
function bodyOf(event: APIGatewayProxyEvent): Buffer | undefined {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Always base64: the body may be anything, and API Gateway decodes it (binaryMediaTypes `*\/*`). */
function toResult(status: number, headers: Record<string, string[]>, body: Buffer): APIGatewayProxyResult {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(headers)) {
    if (values.length === 1) single[name] = values[0];
    else multi[name] = values;
  }
  return { statusCode: status, headers: single, ...(Object.keys(multi).length ? { multiValueHeaders: multi } : {}), body: body.toString('base64'), isBase64Encoded: true };
}

export const PROXY_ROUTES: AnyRoute[] = (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map(proxyRoute);
