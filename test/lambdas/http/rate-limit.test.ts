import type { APIGatewayProxyEvent } from 'aws-lambda';
import { apiHandler } from '../../../lambdas/http/api-handler';
import { jsonResult } from '../../../lambdas/http/errors';
import { RateLimiter } from '../../../lambdas/http/rate-limit';
import { defineRoute } from '../../../lambdas/http/route';
import { createLambdaContext, localFunction } from '../../../local/lambda-context';
import { startTestStack, type TestStack } from '../../support/local-stack';

describe('RateLimiter', () => {
  test('counts per key per minute and resets with the window', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(2, () => now);
    expect(limiter.take('a', 'GET', '/x')).toEqual({ limit: 2, remaining: 1, resetSeconds: 60 });
    expect(limiter.take('a', 'GET', '/x').remaining).toBe(0);
    expect(() => limiter.take('a', 'GET', '/x')).toThrow(expect.objectContaining({ statusCode: 429, code: 'too_many_request' }));
    expect(limiter.take('b', 'GET', '/x').remaining).toBe(1);
    now += 60_000;
    expect(limiter.take('a', 'GET', '/x').remaining).toBe(1);
  });
});

describe('429 through the handler shape', () => {
  let t: TestStack;
  beforeAll(async () => (t = await startTestStack()));
  afterAll(() => t.stop());

  test('a key over its limit gets Nango’s 429 with Retry-After and X-RateLimit-*; other keys are unaffected', async () => {
    const handler = apiHandler(
      [defineRoute({ method: 'GET', path: '/ping', summary: 'ping', tag: 'Test', auth: 'secret_key', responses: {}, handle: async () => jsonResult(200, { ok: true }) })],
      { limiter: new RateLimiter(3) },
    );
    const event = (key: string) =>
      ({
        httpMethod: 'GET',
        path: '/ping',
        resource: '/{proxy+}',
        pathParameters: { proxy: 'ping' },
        headers: { Authorization: `Bearer ${key}` },
        multiValueHeaders: {},
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        requestContext: { requestId: 'r' },
        body: null,
        isBase64Encoded: false,
      }) as unknown as APIGatewayProxyEvent;
    const call = (key: string) => handler(event(key), createLambdaContext(localFunction('api')));

    const ok = await call(t.devKey);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers).toMatchObject({ 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '2', 'x-ratelimit-reset': expect.stringMatching(/^\d+$/) });
    await call(t.devKey);
    await call(t.devKey);
    const limited = await call(t.devKey);
    expect(limited.statusCode).toBe(429);
    expect(JSON.parse(limited.body)).toEqual({ error: { code: 'too_many_request', method: 'GET', path: '/ping' } });
    expect(limited.headers).toMatchObject({ 'retry-after': expect.stringMatching(/^\d+$/), 'x-ratelimit-remaining': '0' });
    expect((await call(t.prodKey)).statusCode).toBe(200);
  });
});
