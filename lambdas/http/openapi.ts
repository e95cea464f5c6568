import * as z from 'zod';
import type { AnyRoute } from './route';

const ERROR_ENVELOPE = z.object({
  error: z.object({
    code: z.string(),
    message: z.string().optional(),
    errors: z.array(z.object({ code: z.string(), message: z.string(), path: z.array(z.string()) })).optional(),
  }),
});

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
        Object.entries(responsesOf(route)).map(
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

function responsesOf(route: AnyRoute): Record<string, { description: string; schema?: z.ZodType }> {
  const common: Record<number, { description: string }> = route.auth === 'none' ? {} : { 401: { description: 'Missing or unknown credentials' } };
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
