import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import type { AuthMode, ConnectSessionPrincipal, Principal, SecretKeyPrincipal } from '../auth/principal';
import type { DataApi } from '../platform/db/data-api';
import type { ApiError } from './errors';
import type { RequestServices } from './request-services';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The caller a route of auth mode `A` sees: none, a secret key, a connect session, or either. */
export type PrincipalOf<A extends AuthMode> = A extends 'none'
  ? undefined
  : A extends 'secret_key'
    ? SecretKeyPrincipal
    : A extends 'connect_session' | 'connect_session_query'
      ? ConnectSessionPrincipal
      : Principal;

export interface ApiRequest<Q, B, P, A extends AuthMode = AuthMode> {
  query: Q;
  body: B;
  params: P;
  /** Who authenticated, narrowed by the route's auth mode. */
  principal: PrincipalOf<A>;
  event: APIGatewayProxyEvent;
  requestId: string;
  /** Injected clock's reading for this request. */
  now: Date;
  db: DataApi;
  /** The function's cipher, provider registry and secret hasher (its composition root's). */
  services: RequestServices;
}

/**
 * One REST route: its auth, schemas and handler in one place. The same definition drives
 * validation, scope checks and the OpenAPI document, so they cannot disagree.
 */
export interface RouteDefinition<Q = unknown, B = unknown, P = unknown, A extends AuthMode = AuthMode> {
  method: HttpMethod;
  /** `/connections/{connectionId}` (API Gateway and middy syntax). */
  path: string;
  summary: string;
  tag: string;
  auth: A;
  /** Scope a secret key needs (Nango's names); connect sessions are checked by `auth`. */
  scope?: string;
  /** Omitted: the route takes no query parameters at all (Nango's requireEmptyQuery). */
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The body is the handler's to read as bytes (`event.body`, any content type): no JSON parsing, no `body` schema. */
  rawBody?: true;
  /** The route answers with another server's status, headers and body (the proxy): any status may come back. */
  forwardsUpstream?: true;
  /** The body as the OpenAPI document shows it, when `body` checks only its size and the handler validates the rest. */
  documentedBody?: z.ZodType;
  /** Request headers the handler reads and validates itself, for the OpenAPI document. */
  documentedHeaders?: z.ZodType;
  params?: z.ZodType<P>;
  /** For the OpenAPI document; `media` is for answers that are not JSON (the OAuth popup's pages). */
  responses: Record<number, { description: string; schema?: z.ZodType; media?: 'text/html' }>;
  handle(request: ApiRequest<Q, B, P, A>): Promise<APIGatewayProxyResult>;
  /**
   * Browser-facing routes (the OAuth popup) answer errors as a page instead of Nango's JSON
   * envelope; every error of the route, validation and authentication included, goes through it.
   */
  renderError?(error: ApiError): APIGatewayProxyResult;
  /**
   * Called when the path, query or body of an authenticated request fails validation, before the
   * error is answered (the connect routes record it as the session's failure).
   */
  onInvalidInput?(request: InvalidInputRequest, error: ApiError): Promise<void>;
  /**
   * Browser-facing routes only (with `renderError`): called with every error of the route before
   * its page is rendered, with the caller when authentication got that far (the connect routes
   * report the failure to the frontend SDK's socket). Its own failures are logged, not answered.
   */
  onError?(request: FailedRequest, error: ApiError): Promise<void>;
}

/** What is known of a request that failed. */
export interface FailedRequest {
  /** Undefined when authentication itself failed. */
  principal?: Principal;
  event: APIGatewayProxyEvent;
  now: Date;
  db: DataApi;
  services: RequestServices;
}

/** What is known of a request whose input did not validate. */
export interface InvalidInputRequest {
  principal: Principal;
  /** Path parameters as sent (unvalidated). */
  rawParams: Record<string, string>;
  event: APIGatewayProxyEvent;
  requestId: string;
  now: Date;
  db: DataApi;
  services: RequestServices;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDefinition<any, any, any, AuthMode>;

/** `auth` is inferred as a literal, so `handle` sees the principal that mode yields. */
export function defineRoute<Q = Record<string, never>, B = undefined, P = Record<string, never>, A extends AuthMode = AuthMode>(route: RouteDefinition<Q, B, P, A>): RouteDefinition<Q, B, P, A> {
  return route;
}

export const EMPTY_QUERY = z.object({}).strict();
