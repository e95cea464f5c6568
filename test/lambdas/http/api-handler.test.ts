import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler, MAX_REQUEST_BODY_BYTES } from '../../../lambdas/http/api-handler';
import { ApiError, jsonResult } from '../../../lambdas/http/errors';
import { createLambdaContext, localFunction } from '../../../local/lambda-context';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

let calls = 0;
const handler = apiHandler([
  { method: 'POST', path: '/echo', handler: async (event: APIGatewayProxyEvent) => (calls++, jsonResult(200, { got: event.body?.length ?? 0 })) },
  { method: 'GET', path: '/teapot', handler: async () => { throw new ApiError(418, 'teapot', 'Short and stout.'); } },
  { method: 'GET', path: '/boom', handler: async () => { throw new Error('db password is hunter2'); } },
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
  });

  test.each([false, true])('refuses a body over the limit before the route runs (base64: %s)', async (base64) => {
    const before = calls;
    const res = await invoke(event('POST', '/echo', 'x'.repeat(MAX_REQUEST_BODY_BYTES + 1), base64));
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error.code).toBe('request_too_large');
    expect(calls).toBe(before);
  });

  test('accepts a body of exactly the limit', async () => {
    expect((await invoke(event('POST', '/echo', 'x'.repeat(MAX_REQUEST_BODY_BYTES)))).statusCode).toBe(200);
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
});
