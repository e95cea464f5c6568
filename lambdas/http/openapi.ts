import * as z from 'zod';
import type { AnyRoute } from './route';

/** Nango's error envelope, with the more fields of `error` some answers carry (`ApiError.extra`). */
export function errorEnvelope(extra: z.ZodRawShape = {}) {
  return z.object({
    error: z.object({
      code: z.string(),
      message: z.string().optional(),
      errors: z.array(z.object({ code: z.string(), message: z.string(), path: z.array(z.string()) })).optional(),
      ...extra,
    }),
  });
}

/** Every 4xx and 5xx a route answers in JSON, unless the route declares another schema. */
export const ERROR_ENVELOPE = errorEnvelope();

type JsonSchema = Record<string, unknown>;

function schemaOf(type: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms and refinements have no JSON Schema form: describe what goes over the wire.
  const { $schema: _ignored, ...schema } = z.toJSONSchema(type, { io, unrepresentable: 'any' }) as JsonSchema;
  return schema;
}

const operationId = (method: string, path: string) => `${method.toLowerCase()}${path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`;

/**
 * A route path as an OpenAPI path template: API Gateway's greedy `{proxy+}` (the rest of the path,
 * slashes included) becomes `{endpoint}`, documented as a path parameter.
 */
export function openApiPath(path: string): string {
  return path.replace(/\{[^}]+\+\}/g, '{endpoint}');
}

/** The query parameter connect-flow routes authenticate with (a security scheme, not a parameter). */
const SESSION_QUERY = 'connect_session_token';

const SECURITY: Record<AnyRoute['auth'], Array<Record<string, string[]>> | undefined> = {
  none: undefined,
  secret_key: [{ secretKey: [] }],
  connect_session: [{ connectSession: [] }],
  connect_session_query: [{ connectSessionQuery: [] }],
  secret_key_or_connect_session: [{ secretKey: [] }, { connectSession: [] }],
};

function responseObject(route: AnyRoute, status: number, response: DeclaredResponse): Record<string, unknown> {
  // No body: a redirect, 204.
  if (status === 204 || (status >= 300 && status < 400)) return { description: response.description };
  // Another server's answer, whatever its type.
  if (route.forwardsUpstream && status < 300) return { description: response.description, content: { '*/*': { schema: {} } } };
  // The OAuth popup's routes answer pages, their errors included.
  if (response.media === 'text/html' || (route.renderError && status >= 400)) return { description: response.description, content: { 'text/html': { schema: { type: 'string' } } } };
  return {
    description: response.description,
    content: { 'application/json': { schema: schemaOf(response.schema ?? (status >= 400 ? ERROR_ENVELOPE : z.unknown()), 'output') } },
  };
}

export interface OpenApiOptions {
  /** Paths (route syntax) with an OPTIONS method of their own in the REST API: the browser's CORS preflight. */
  preflightPaths?: readonly string[];
}

/** OpenAPI 3.1 from the route definitions themselves, so the document is what the API validates. */
export function buildOpenApi(routes: readonly AnyRoute[], info: { title: string; version: string }, options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const query = parameters(route.query, 'query').filter((p) => !(route.auth === 'connect_session_query' && p.name === SESSION_QUERY));
    const path = openApiPath(route.path);
    const greedy = path !== route.path ? [{ name: 'endpoint', in: 'path', required: true, description: 'The rest of the path, slashes included', schema: { type: 'string' } }] : [];
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: operationId(route.method, path),
      parameters: [...parameters(route.params, 'path'), ...greedy, ...query, ...parameters(route.documentedHeaders, 'header')],
      responses: Object.fromEntries(Object.entries(declaredResponses(route)).map(([status, response]) => [status, responseObject(route, Number(status), response)])),
    };
    const body = route.documentedBody ?? route.body;
    if (body) operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(body, 'input') } } };
    // Any bytes of any type (the proxy's).
    else if (route.rawBody && route.method !== 'GET') operation.requestBody = { required: false, content: { '*/*': { schema: { type: 'string', format: 'binary' } } } };
    const security = SECURITY[route.auth];
    if (security) operation.security = security;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation;
  }
  for (const path of options.preflightPaths ?? []) {
    const names = [...path.matchAll(/\{([^}+]+)\}/g)].map((m) => m[1]);
    (paths[path] ??= {}).options = {
      summary: "The browser's CORS preflight of the SDK's JSON POST",
      tags: ['Connect'],
      operationId: operationId('OPTIONS', path),
      parameters: names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      responses: { 204: { description: 'Allowed: Access-Control-Allow-Origin, -Methods and -Headers' } },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', description: "An environment's secret key (UUID v4)" },
        connectSession: { type: 'http', scheme: 'bearer', description: 'A connect session token (nango_connect_session_…)' },
        connectSessionQuery: {
          type: 'apiKey',
          in: 'query',
          name: SESSION_QUERY,
          description: 'A connect session token in the query string, as the frontend SDK sends it to the connect flows',
        },
      },
    },
    paths,
  };
}

export interface DeclaredResponse {
  description: string;
  schema?: z.ZodType;
  media?: 'text/html';
}

/**
 * What a route may answer: its own `responses`, and those `apiHandler` gives any route (input
 * validation, credentials, scope, rate limit, body size, an unexpected error). The OpenAPI document
 * and the tests' check of real responses both read this.
 */
export function declaredResponses(route: AnyRoute): Record<number, DeclaredResponse> {
  const common: Record<number, DeclaredResponse> = {
    400: { description: 'invalid_uri_params, invalid_query_params or invalid_body: the request did not validate (errors[] says where)' },
    413: { description: 'request_too_large: the body is over 1 MiB' },
    500: {
      description: 'generic_error_support: an unexpected error; payload is an incident id to quote to support',
      schema: errorEnvelope({ payload: z.string().optional() }),
    },
  };
  if (route.body) common[415] = { description: 'invalid_content_type: the body is not application/json' };
  if (route.auth !== 'none') {
    common[401] = { description: 'Missing or unknown credentials' };
    common[429] = {
      description: 'too_many_request: over the rate limit of this key or session (see retry-after)',
      schema: errorEnvelope({ method: z.string(), path: z.string() }),
    };
  }
  if (route.auth === 'secret_key' || route.auth === 'secret_key_or_connect_session') common[403] = { description: "forbidden: the secret key's scopes do not allow this" };
  return { ...common, ...route.responses };
}

function parameters(type: z.ZodType | undefined, location: 'path' | 'query' | 'header'): Array<Record<string, unknown>> {
  if (!type) return [];
  const schema = schemaOf(type, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return (
    Object.entries(schema.properties ?? {})
      // `z.never()` fields exist to refuse a parameter with a clear message: nothing to send.
      .filter(([, property]) => !('not' in property))
      .map(([name, property]) => ({
        name,
        in: location,
        required: location === 'path' || (schema.required ?? []).includes(name),
        // Nested query values are sent qs-style: `params[subdomain]=acme`.
        ...(location === 'query' && property.type === 'object' ? { style: 'deepObject', explode: true } : {}),
        schema: property,
      }))
  );
}
