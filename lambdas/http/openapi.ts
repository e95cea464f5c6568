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

/** OpenAPI 3.1 from the route definitions themselves, so the document is what the API validates. */
export function buildOpenApi(routes: readonly AnyRoute[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method.toLowerCase()}${route.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      responses: Object.fromEntries(
        Object.entries(declaredResponses(route)).map(
          ([status, response]) => [
            status,
            {
              description: response.description,
              content: { 'application/json': { schema: schemaOf(response.schema ?? (Number(status) >= 400 ? ERROR_ENVELOPE : z.unknown()), 'output') } },
            },
          ],
        ),
      ),
    };
    if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } };
    if (route.auth !== 'none') operation.security = route.auth === 'connect_session' || route.auth === 'connect_session_query' ? [{ connectSession: [] }] : [{ secretKey: [] }];
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        secretKey: { type: 'http', scheme: 'bearer', description: "An environment's secret key (UUID v4)" },
        connectSession: { type: 'http', scheme: 'bearer', description: 'A connect session token (nango_connect_session_…)' },
      },
    },
    paths,
  };
}

export interface DeclaredResponse {
  description: string;
  schema?: z.ZodType;
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

function parameters(type: z.ZodType | undefined, location: 'path' | 'query'): Array<Record<string, unknown>> {
  if (!type) return [];
  const schema = schemaOf(type, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (schema.required ?? []).includes(name),
    schema: property,
  }));
}
