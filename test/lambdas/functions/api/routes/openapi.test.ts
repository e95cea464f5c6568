import { API_ROUTES } from '../../../../../lambdas/functions/api/routes';
import { CONNECT_ROUTES } from '../../../../../lambdas/functions/connect/routes';
import { PROXY_ROUTES } from '../../../../../lambdas/functions/proxy/routes';
import { openApiPath } from '../../../../../lambdas/http/openapi';
import type { AnyRoute } from '../../../../../lambdas/http/route';
import { CustomProviderSchema } from '../../../../../lambdas/providers/provider-schema';
import { ROUTES } from '../../../../../lib/topology';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';

/*
 * GET /openapi.json against the REST API as deployed (lib/topology.ts ROUTES): every route is in
 * it, `ANY /{proxy+}` standing for every route of the api function, every body has a schema, and
 * the document holds together as OpenAPI 3.1 (structural checks: no OpenAPI validator is installed).
 */

type Json = Record<string, any>;
let t: TestStack;
let doc: Json;

beforeAll(async () => {
  t = await startTestStack();
  const res = await readJson(await fetch(`${t.baseUrl}/openapi.json`));
  expect(res.status).toBe(200);
  doc = res.body;
});
afterAll(() => t.stop());

const FUNCTION_ROUTES: Record<string, readonly AnyRoute[]> = { api: API_ROUTES, connect: CONNECT_ROUTES, proxy: PROXY_ROUTES };
const operation = (method: string, path: string): Json | undefined => doc.paths[openApiPath(path)]?.[method.toLowerCase()];

/** The route definitions behind a REST API route: `ANY /{proxy+}` is every route of its function. */
function definitionsOf(route: (typeof ROUTES)[number]): readonly AnyRoute[] {
  if (route.path.includes('+}')) return FUNCTION_ROUTES[route.function];
  return FUNCTION_ROUTES[route.function].filter((r) => r.path === route.path && r.method === route.method);
}

/** An empty schema (`{}`), or an object that says nothing of its members. */
function saysNothing(schema: Json | undefined): boolean {
  if (!schema || Object.keys(schema).length === 0) return true;
  if (schema.type !== 'object') return false;
  const members = Object.keys(schema.properties ?? {}).length > 0;
  const values = schema.additionalProperties && typeof schema.additionalProperties === 'object' && Object.keys(schema.additionalProperties).length > 0;
  return !members && !values;
}

test('every route of the REST API is described, with a body schema wherever it takes a body', () => {
  const problems: string[] = [];
  for (const route of ROUTES) {
    const definitions = definitionsOf(route);
    // A preflight is answered by the connect function before routing: it has no definition of its own.
    if (route.method === 'OPTIONS') {
      if (!operation('OPTIONS', route.path)) problems.push(`OPTIONS ${route.path}: missing`);
      continue;
    }
    if (definitions.length === 0) problems.push(`${route.method} ${route.path}: no route definition serves it`);
    for (const definition of definitions) {
      const op = operation(definition.method, definition.path);
      if (!op) {
        problems.push(`${definition.method} ${definition.path}: missing`);
        continue;
      }
      if (definition.body && saysNothing(op.requestBody?.content?.['application/json']?.schema)) problems.push(`${definition.method} ${definition.path}: body without a schema`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${definition.method} ${definition.path}: no responses`);
    }
  }
  expect(problems).toEqual([]);
});

test('the connect routes are there, as the frontend SDK calls them', () => {
  const connect = operation('GET', '/oauth/connect/{providerConfigKey}')!;
  expect(connect.security).toEqual([{ connectSessionQuery: [] }]);
  expect(doc.components.securitySchemes.connectSessionQuery).toMatchObject({ type: 'apiKey', in: 'query', name: 'connect_session_token' });
  expect(connect.parameters.map((p: Json) => `${p.in} ${p.name}`)).toEqual(expect.arrayContaining(['path providerConfigKey', 'query params', 'query ws_client_id']));
  expect(connect.parameters.find((p: Json) => p.name === 'params')).toMatchObject({ style: 'deepObject', explode: true });
  expect(Object.keys(connect.responses['302'])).toEqual(['description']);
  expect(connect.responses['400'].content).toHaveProperty(['text/html']);
  expect(operation('POST', '/api-auth/api-key/{providerConfigKey}')!.requestBody.content['application/json'].schema).toMatchObject({ required: ['apiKey'] });
  expect(operation('POST', '/api-auth/basic/{providerConfigKey}')!.requestBody.content['application/json'].schema.required).toEqual(['username', 'password']);
  expect(operation('GET', '/oauth/callback')!.responses['200'].content).toHaveProperty(['text/html']);
});

test('the proxy: each method, the rest of the path as {endpoint}, its control headers, any body and answer', () => {
  for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
    const op = doc.paths['/proxy/{endpoint}'][method];
    expect(op.parameters.map((p: Json) => `${p.in} ${p.name}`)).toEqual(expect.arrayContaining(['path endpoint', 'header connection-id', 'header provider-config-key', 'header retries', 'header base-url-override']));
    expect(Object.keys(op.responses['200'].content)).toEqual(['*/*']);
    if (method !== 'get') expect(op.requestBody.content['*/*'].schema).toEqual({ type: 'string', format: 'binary' });
  }
});

test('GET /records names the headers it reads', () => {
  const headers = operation('GET', '/records')!.parameters.filter((p: Json) => p.in === 'header');
  expect(headers.map((p: Json) => [p.name, p.required])).toEqual([
    ['connection-id', true],
    ['provider-config-key', true],
  ]);
});

test("PUT /providers/{provider}'s body is the provider definition, every field of it", () => {
  const schema = operation('PUT', '/providers/{provider}')!.requestBody.content['application/json'].schema;
  expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(CustomProviderSchema.shape).sort());
  expect(schema.required).toEqual(expect.arrayContaining(['display_name', 'auth_mode']));
  expect(schema.properties.allow_private_network).toMatchObject({ type: 'boolean', default: false });
  expect(schema.properties.proxy.properties).toHaveProperty('verification');
});

test('the document holds together as OpenAPI 3.1', () => {
  const problems: string[] = [];
  expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  expect(typeof doc.info.title).toBe('string');
  expect(typeof doc.info.version).toBe('string');
  const schemes = new Set(Object.keys(doc.components.securitySchemes));
  const ids = new Set<string>();
  const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    if (!path.startsWith('/')) problems.push(`${path}: a path starts with /`);
    if (path.includes('+}')) problems.push(`${path}: not an OpenAPI path template`);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries(item)) {
      const where = `${method} ${path}`;
      if (!METHODS.has(method)) problems.push(`${where}: unknown method`);
      if (typeof op.operationId !== 'string' || ids.has(op.operationId)) problems.push(`${where}: operationId missing or not unique`);
      ids.add(op.operationId);
      const params: Json[] = op.parameters ?? [];
      const pathParams = params.filter((p) => p.in === 'path').map((p) => p.name).sort();
      if (JSON.stringify(pathParams) !== JSON.stringify(templated)) problems.push(`${where}: path parameters ${pathParams} but template ${templated}`);
      const keys = params.map((p) => `${p.in}:${p.name}`);
      if (new Set(keys).size !== keys.length) problems.push(`${where}: a parameter is repeated`);
      for (const p of params) {
        if (!['path', 'query', 'header', 'cookie'].includes(p.in) || typeof p.name !== 'string' || !p.schema) problems.push(`${where}: parameter ${p.name} is incomplete`);
        if (p.in === 'path' && p.required !== true) problems.push(`${where}: path parameter ${p.name} must be required`);
      }
      if (op.requestBody && !Object.values(op.requestBody.content ?? {}).every((m: any) => m.schema)) problems.push(`${where}: requestBody media without a schema`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const [status, response] of Object.entries(op.responses ?? {}) as [string, Json][]) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problems.push(`${where}: response key ${status}`);
        if (typeof response.description !== 'string') problems.push(`${where} ${status}: a response needs a description`);
      }
      for (const requirement of op.security ?? []) for (const name of Object.keys(requirement)) if (!schemes.has(name)) problems.push(`${where}: unknown security scheme ${name}`);
    }
  }
  expect(problems).toEqual([]);
});
