import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { authenticate } from './authenticate';
import type { Principal } from '../auth/principal';
import { hasScope } from '../auth/scopes';
import { systemClock } from '../platform/clock';
import { setting } from '../platform/config';
import { logger } from '../platform/observability/logger';
import { currentRequestScope, runAfterRequest, runInRequestScope } from '../platform/observability/request-scope';
import { CORS_HEADERS } from './cors';
import { DomainError } from '../platform/domain-error';
import { ApiError, emptyResult, errorResult } from './errors';
import { answerFor } from './error-table';
import { RateLimiter, rateLimitHeaders } from './rate-limit';
import { requestServices, type RequestServices } from './request-services';
import { parseJsonBody, parseQuery } from './request-parts';
import { EMPTY_QUERY, type AnyRoute } from './route';
import { parseOrThrow } from './validation';

export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * API Gateway accepts 10 MB and Lambda 6 MB; nothing we serve needs more than this, and refusing
 * early keeps an oversized body from costing parsing and database work.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/**
 * The one shape every REST-facing function has: request scope (round-trip counters) → structured
 * logging with the API Gateway request id → CORS → router → per route: authenticate, scope, rate
 * limit, validate, handle → errors in Nango's envelope (domain errors through error-table.ts),
 * never a stack trace or a secret.
 */
export function apiHandler(routes: AnyRoute[], options: { services?: RequestServices; limiter?: RateLimiter; maxBodyBytes?: number } = {}): ApiHandler {
  const { services = requestServices(), limiter = new RateLimiter(setting('LATCHKEY_RATE_LIMIT_PER_MINUTE')), maxBodyBytes = MAX_REQUEST_BODY_BYTES } = options;
  const router = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes: routes.map((route) => toRouterRoute(route, services, limiter)),
    notFoundResponse: ({ method, path }) => {
      throw new ApiError(404, 'not_found', `No route for ${method} ${path}`);
    },
  });
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.setCorrelationId(request.event.requestContext?.requestId);
        // Preflight needs no route: answer before routing.
        if (request.event.httpMethod === 'OPTIONS') return withCors(emptyResult(204));
        assertBodySize(request.event, maxBodyBytes);
        return undefined;
      },
      after: async (request) => {
        request.response = withCors(request.response);
        // Outbox events queued by committed statements (a failed request may have committed one too).
        await runAfterRequest();
        logRequest(request.event, request.response.statusCode);
      },
      onError: async (request) => {
        request.response = withCors(toErrorResult(request.error));
        await runAfterRequest();
        logRequest(request.event, request.response.statusCode);
      },
    })
    .handler(router);
  return (event, context) => runInRequestScope(() => handler(event, context));
}

function toRouterRoute(route: AnyRoute, services: RequestServices, limiter: RateLimiter): Route<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    method: route.method,
    path: route.path,
    handler: async (event: APIGatewayProxyEvent) => {
      if (!route.renderError) return handle(route, services, limiter, event);
      const seen: Seen = { now: systemClock() };
      try {
        return await handle(route, services, limiter, event, seen);
      } catch (err) {
        const error = toApiError(err);
        await route.onError?.({ ...seen, event, db: services.db, services }, error).catch((failure: unknown) => {
          logger.warn('onError failed', { error: (failure as Error).name });
        });
        return route.renderError(error);
      }
    },
  };
}

/** What a failed request had established before it failed (for the route's onError). */
interface Seen {
  now: Date;
  principal?: Principal;
}

async function handle(route: AnyRoute, services: RequestServices, limiter: RateLimiter, event: APIGatewayProxyEvent, seen: Seen = { now: systemClock() }): Promise<APIGatewayProxyResult> {
  const { now } = seen;
  const db = services.db;
  // Credentials first: an unauthenticated caller learns nothing about its input.
  const principal = await authenticate(db, services.secretHasher, event, route.auth, now);
  seen.principal = principal;
  if (principal?.kind === 'secret_key' && route.scope && !hasScope(principal.scopes, route.scope)) {
    throw new ApiError(403, 'forbidden', `Insufficient scope. Required: ${route.scope}`);
  }
  const limit = principal ? limiter.take(principal.kind === 'secret_key' ? principal.keyId : principal.sessionId, event.httpMethod, event.path) : undefined;
  let rawParams: Record<string, string> = {};
  let params, query, body;
  try {
    rawParams = pathParameters(event);
    params = parseOrThrow(route.params ?? EMPTY_QUERY.passthrough(), rawParams, 'invalid_uri_params');
    query = parseOrThrow(route.query ?? EMPTY_QUERY, parseQuery(event), 'invalid_query_params');
    const rawBody = route.rawBody ? undefined : parseJsonBody(event);
    body = route.body ? parseOrThrow(route.body, rawBody ?? {}, 'invalid_body') : undefined;
  } catch (err) {
    if (principal && route.onInvalidInput && err instanceof ApiError) {
      await route.onInvalidInput({ principal, rawParams, event, requestId: event.requestContext?.requestId ?? '', now, db, services }, err);
    }
    throw err;
  }
  const result = await route.handle({ query, body, params, principal, event, requestId: event.requestContext?.requestId ?? '', now, db, services });
  return limit ? { ...result, headers: { ...result.headers, ...rateLimitHeaders(limit) } } : result;
}

/** Path parameters decoded once (API Gateway hands them over as sent), without the greedy `proxy`. */
function pathParameters(event: APIGatewayProxyEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(event.pathParameters ?? {})) {
    if (key === 'proxy' || value === undefined) continue;
    try {
      out[key] = decodeURIComponent(value);
    } catch {
      throw new ApiError(400, 'invalid_uri_params', `Path parameter ${key} is not valid percent-encoding`);
    }
  }
  return out;
}

function assertBodySize(event: APIGatewayProxyEvent, maxBytes: number): void {
  if (!event.body) return;
  const bytes = event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
  if (bytes > maxBytes) {
    throw new ApiError(413, 'request_too_large', `The request body is ${bytes} bytes; the limit is ${maxBytes} bytes.`);
  }
}

function withCors(result: APIGatewayProxyResult): APIGatewayProxyResult {
  return { ...result, headers: { ...CORS_HEADERS, ...result.headers } };
}

function toErrorResult(err: unknown): APIGatewayProxyResult {
  return errorResult(toApiError(err));
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // Domain errors are answered as the one table says.
  const answer = err instanceof DomainError ? answerFor(err) : undefined;
  if (answer) return answer;
  // Anything else is our fault: log it under an id the caller can quote, answer without details.
  const incident = randomUUID();
  logger.error('Unhandled error', { incident, error: err as Error });
  return new ApiError(500, 'generic_error_support', 'An unexpected error occurred; quote the incident id to support.', undefined, {}, { payload: incident });
}

function logRequest(event: APIGatewayProxyEvent, status: number): void {
  const scope = currentRequestScope();
  logger.info('request', {
    http: { method: event.httpMethod, route: event.resource, status },
    dbStatements: scope?.dbStatements,
    kmsCalls: scope?.kmsCalls,
    durationMs: scope ? Date.now() - scope.startedAt : undefined,
  });
}
