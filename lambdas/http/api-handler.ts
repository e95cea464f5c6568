import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpRouterHandler, { type Route } from '@middy/http-router';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { logger } from '../observability/logger';
import { currentRequestScope, runInRequestScope } from '../observability/request-scope';
import { ApiError, errorResult } from './errors';

export type ApiRoute = Route<APIGatewayProxyEvent, APIGatewayProxyResult>;
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * The one shape every REST-facing function has: request scope (round-trip counters) → structured
 * logging with the API Gateway request id → router → errors in Nango's envelope, never a stack
 * trace or a secret.
 */
export function apiHandler(routes: ApiRoute[]): ApiHandler {
  const router = httpRouterHandler<APIGatewayProxyEvent, APIGatewayProxyResult>({
    routes,
    notFoundResponse: ({ method, path }) => {
      throw new ApiError(404, 'not_found', `No route for ${method} ${path}`);
    },
  });
  const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      before: (request) => {
        logger.setCorrelationId(request.event.requestContext?.requestId);
        assertBodySize(request.event);
      },
      after: (request) => logRequest(request.event, request.response?.statusCode ?? 0),
      onError: (request) => {
        request.response = toErrorResult(request.error);
        logRequest(request.event, request.response.statusCode);
      },
    })
    .handler(router);
  return (event, context) => runInRequestScope(() => handler(event, context));
}

/**
 * API Gateway accepts 10 MB and Lambda 6 MB; nothing we serve needs more than this, and refusing
 * early keeps an oversized body from costing parsing and database work.
 */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

function assertBodySize(event: APIGatewayProxyEvent): void {
  if (!event.body) return;
  const bytes = event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
  if (bytes > MAX_REQUEST_BODY_BYTES) {
    throw new ApiError(413, 'request_too_large', `The request body is ${bytes} bytes; the limit is ${MAX_REQUEST_BODY_BYTES} bytes.`);
  }
}

function toErrorResult(err: unknown): APIGatewayProxyResult {
  if (err instanceof ApiError) return errorResult(err);
  // Anything else is our fault: log it under an id the caller can quote, answer without details.
  const incident = randomUUID();
  logger.error('Unhandled error', { incident, error: err as Error });
  const result = errorResult(new ApiError(500, 'generic_error_support', 'An unexpected error occurred; quote the incident id to support.'));
  const body = JSON.parse(result.body);
  body.error.payload = incident;
  return { ...result, body: JSON.stringify(body) };
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
