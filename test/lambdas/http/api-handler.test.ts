import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler, MAX_REQUEST_BODY_BYTES } from '../../../lambdas/http/api-handler';
import { ApiError, jsonResult } from '../../../lambdas/http/errors';
import { defineRoute } from '../../../lambdas/http/route';
import * as z from 'zod';
import { createLambdaContext, invokeLocal, localFunction } from '../../../local/lambda-context';
import { RESPONSE_BUDGET_BYTES } from '../../../lambdas/http/response-budget';

import { lambdaEnvironment } from '../../../local/environment';

// Routes with auth 'none' never reach the database; the settings only have to parse.
Object.assign(process.env, lambdaEnvironment({ dataApiUrl: 'http://127.0.0.1:9', kmsUrl: 'http://127.0.0.1:9', eventBridgeUrl: 'http://127.0.0.1:9', database: 'unused' }));
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

let calls = 0;
const route = (method: 'GET' | 'POST', path: string, handle: (event: APIGatewayProxyEvent) => Promise<never> | Promise<ReturnType<typeof jsonResult>>) =>
  defineRoute({ method, path, summary: path, tag: 'Test', auth: 'none', responses: {}, body: method === 'POST' ? z.unknown() : undefined, handle: ({ event }) => handle(event) });

const handler = apiHandler([
  route('POST', '/echo', async (event) => (calls++, jsonResult(200, { got: event.body?.length ?? 0 }))),
  route('GET', '/teapot', async () => { throw new ApiError(418, 'teapot', 'Short and stout.'); }),
  route('GET', '/boom', async () => { throw new Error('db password is hunter2'); }),
  // A quote is 2 bytes of body JSON and 4 in the proxy result: 3.2 MB of body, 6.4 MB as Lambda counts.
  route('GET', '/huge', async () => jsonResult(200, { quotes: '"'.repeat(1_600_000) })),
  route('GET', '/fits', async () => jsonResult(200, { text: 'x'.repeat(RESPONSE_BUDGET_BYTES - 1000) })),
]);

/** The fields of a REST proxy event the handler shape reads; the full shape is tested in test/local/api-gateway. */
function event(method: string, path: string, body?: string, base64 = false): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    path,
    resource: '/{proxy+}',
    pathParameters: { proxy: path.slice(1) },
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: { requestId: 'req-1' } as APIGatewayProxyEvent['requestContext'],
    body: body === undefined ? null : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
}

const invoke = (e: APIGatewayProxyEvent) => handler(e, createLambdaContext(localFunction('api')));

describe('apiHandler', () => {
  test('routes and answers', async () => {
    const res = await invoke(event('POST', '/echo', '{"a":1}'));
    expect(res).toMatchObject({ statusCode: 200, body: '{"got":7}' });
    expect(res.headers?.['access-control-allow-origin']).toBe('*');
  });

  test.each([false, true])('refuses a body over the limit before the route runs (base64: %s)', async (base64) => {
    const before = calls;
    const res = await invoke(event('POST', '/echo', 'x'.repeat(MAX_REQUEST_BODY_BYTES + 1), base64));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('request_too_large');
    expect(calls).toBe(before);
  });

  test('accepts a body of exactly the limit', async () => {
    expect((await invoke(event('POST', '/echo', JSON.stringify('x'.repeat(MAX_REQUEST_BODY_BYTES - 2))))).statusCode).toBe(200);
  });

  test('answers CORS preflight without a route', async () => {
    const res = await invoke(event('OPTIONS', '/anything'));
    expect(res.statusCode).toBe(204);
    expect(res.headers?.['access-control-allow-headers']).toMatch(/Provider-Config-Key/);
  });

  test('a body that is not JSON is 415, malformed JSON is 400 invalid_json', async () => {
    const form = { ...event('POST', '/echo', 'a=1'), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    expect(JSON.parse((await invoke(form)).body).error.code).toBe('invalid_content_type');
    expect((await invoke(form)).statusCode).toBe(415);
    const broken = await invoke(event('POST', '/echo', '{"a":'));
    expect([broken.statusCode, JSON.parse(broken.body).error.code]).toEqual([400, 'invalid_json']);
  });

  test('a route without a query schema refuses query parameters', async () => {
    const res = await invoke({ ...event('GET', '/teapot'), multiValueQueryStringParameters: { x: ['1'] } });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 'invalid_query_params', errors: [{ code: 'unrecognized_keys' }] });
  });

  test('ApiErrors keep their status and code in the Nango envelope', async () => {
    const res = await invoke(event('GET', '/teapot'));
    expect(res.statusCode).toBe(418);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'teapot', message: 'Short and stout.' } });
  });

  test('unexpected errors are a 500 with an incident id and no detail', async () => {
    const res = await invoke(event('GET', '/boom'));
    expect(res.statusCode).toBe(500);
    const body = JSON.parse(res.body);
    expect(body.error).toEqual({ code: 'generic_error_support', message: expect.any(String), payload: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(res.body).not.toContain('hunter2');
  });

  test('a response Lambda would refuse is a 500 response_too_large in the envelope, not a bare 502', async () => {
    const outcome = await invokeLocal(handler as never, event('GET', '/huge'), localFunction('api'));
    expect(outcome.ok).toBe(true);
    const res = (outcome as { result: { statusCode: number; body: string; headers: Record<string, string> } }).result;
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body).error).toEqual({ code: 'response_too_large', message: expect.stringContaining(`at most ${RESPONSE_BUDGET_BYTES} bytes`) });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  test('a response just inside the budget passes whole, and Lambda takes it', async () => {
    const outcome = await invokeLocal(handler as never, event('GET', '/fits'), localFunction('api'));
    expect(outcome).toMatchObject({ ok: true, result: { statusCode: 200 } });
  });
});
