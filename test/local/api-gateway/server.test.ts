import http from 'node:http';
import type { RouteSpec } from '../../../lib/topology';
import { ApiGatewayServer, type ApiGatewayServerOptions } from '../../../local/api-gateway';
import type { LambdaHandler } from '../../../local/lambda-context';
import { binary, cookies, PNG_BYTES, returning, slow, throwing } from '../../fixtures/behaviour-handlers';
import { handler as echo } from '../../fixtures/echo-handler';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REQUEST_TIME = /^\d{2}\/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/;

const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/health', function: 'api' },
  { method: 'GET', path: '/connections/{connectionId}', function: 'api' },
  { method: 'ANY', path: '/{proxy+}', function: 'api' },
];

type Info = Parameters<NonNullable<ApiGatewayServerOptions['onRequest']>>[0];

async function serve(handler: LambdaHandler, extra: Partial<ApiGatewayServerOptions> = {}) {
  const requests: Info[] = [];
  const server = new ApiGatewayServer({ routes: ROUTES, handlers: { api: handler }, onRequest: (i) => requests.push(i), ...extra });
  const url = await server.start(0);
  return { server, url, requests };
}

describe('ApiGatewayServer with the echo handler', () => {
  let server: ApiGatewayServer;
  let url: string;
  let requests: Info[];
  beforeAll(async () => ({ server, url, requests } = await serve(echo)));
  afterAll(() => server.stop());

  async function echoed(path: string, init?: RequestInit) {
    const res = await fetch(`${url}${path}`, init);
    expect(res.status).toBe(200);
    const { event, context } = (await res.json()) as { event: Record<string, any>; context: Record<string, any> };
    return { res, event, context };
  }

  test('GET with repeated query keys: the exact v1 proxy event', async () => {
    const { res, event } = await echoed('/items/search?tag=a&tag=b&q=hello%20world&plus=a+b&empty&enc%26key=x%3Dy');
    const host = new URL(url).host;
    expect(Object.keys(event).sort()).toEqual(
      ['body', 'headers', 'httpMethod', 'isBase64Encoded', 'multiValueHeaders', 'multiValueQueryStringParameters', 'path',
        'pathParameters', 'queryStringParameters', 'requestContext', 'resource', 'stageVariables'].sort(),
    );
    expect(event).toMatchObject({
      resource: '/{proxy+}',
      path: '/items/search',
      httpMethod: 'GET',
      queryStringParameters: { tag: 'b', q: 'hello world', plus: 'a b', empty: '', 'enc&key': 'x=y' },
      multiValueQueryStringParameters: { tag: ['a', 'b'], q: ['hello world'], plus: ['a b'], empty: [''], 'enc&key': ['x=y'] },
      pathParameters: { proxy: 'items/search' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({
      host,
      'X-Forwarded-For': '127.0.0.1',
      'X-Forwarded-Port': String(new URL(url).port),
      'X-Forwarded-Proto': 'http',
      'X-Amzn-Trace-Id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
    });
    // headers is multiValueHeaders with the last value of each name.
    expect(event.headers).toEqual(Object.fromEntries(Object.entries(event.multiValueHeaders as Record<string, string[]>).map(([k, v]) => [k, v.at(-1)])));
    expect(event.requestContext).toEqual({
      resourceId: expect.stringMatching(/^[0-9a-f]{6}$/),
      resourcePath: '/{proxy+}',
      httpMethod: 'GET',
      extendedRequestId: res.headers.get('x-amz-apigw-id'),
      requestTime: expect.stringMatching(REQUEST_TIME),
      path: '/local/items/search',
      accountId: '000000000000',
      protocol: 'HTTP/1.1',
      stage: 'local',
      domainPrefix: '127',
      requestTimeEpoch: expect.any(Number),
      requestId: res.headers.get('x-amzn-requestid'),
      identity: {
        accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
        cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
        cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: '127.0.0.1', user: null,
        userAgent: event.headers['user-agent'], userArn: null,
      },
      domainName: host,
      apiId: 'latchkey00',
      authorizer: null,
    });
    expect(event.requestContext.requestId).toMatch(UUID);
    expect(Math.abs(event.requestContext.requestTimeEpoch - Date.now())).toBeLessThan(5_000);
  });

  test('a GET without a query string has null query parameters', async () => {
    const { event } = await echoed('/health');
    expect(event.resource).toBe('/health');
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
    expect(event.pathParameters).toBeNull();
  });

  test('POST with a JSON body arrives base64-encoded, byte for byte (binaryMediaTypes */*)', async () => {
    const body = JSON.stringify({ name: 'Zoë', n: 1 });
    const { event } = await echoed('/connections', { method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body });
    expect(event).toMatchObject({ httpMethod: 'POST', resource: '/{proxy+}', path: '/connections', body: Buffer.from(body).toString('base64'), isBase64Encoded: true });
    expect(event.headers['Content-Type']).toBe('application/json; charset=utf-8'); // the client's casing
  });

  test('a binary upload arrives base64-encoded', async () => {
    const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
    const { event } = await echoed('/upload', { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
  });

  test.each([
    ['text/plain', true],
    ['application/x-www-form-urlencoded', true],
    ['application/vnd.api+json', true],
    ['application/xml', true],
    ['image/png', true],
    ['multipart/form-data; boundary=x', true],
  ])('body with Content-Type %s: isBase64Encoded %s (every type is binary: */*)', async (type, binary) => {
    const { event } = await echoed('/any', { method: 'POST', headers: { 'content-type': type }, body: 'a=1' });
    expect(event.isBase64Encoded).toBe(binary);
    expect(event.body).toBe(binary ? Buffer.from('a=1').toString('base64') : 'a=1');
  });

  test('path parameters are decoded; the path is left as sent', async () => {
    const { event } = await echoed('/connections/conn%20one%2B%2F2');
    expect(event).toMatchObject({
      resource: '/connections/{connectionId}',
      path: '/connections/conn%20one%2B%2F2',
      pathParameters: { connectionId: 'conn one+/2' },
    });
    expect(event.requestContext.resourcePath).toBe('/connections/{connectionId}');
  });

  test('the greedy {proxy+} takes every remaining segment', async () => {
    const { event } = await echoed('/connections/abc/metadata/x%20y');
    expect(event).toMatchObject({ resource: '/{proxy+}', pathParameters: { proxy: 'connections/abc/metadata/x y' } });
  });

  test('a trailing slash reaches the resource without it', async () => {
    const { event } = await echoed('/health/');
    expect(event).toMatchObject({ resource: '/health', path: '/health/' });
  });

  test('repeated headers keep every value, the client casing and the last value in headers', async () => {
    // fetch folds repeated headers into one line, so this request goes through node:http.
    const { port } = new URL(url);
    const body = await new Promise<string>((resolve, reject) => {
      // A raw header list gets no automatic Host header.
      const headers = ['Host', `127.0.0.1:${port}`, 'X-Multi', 'one', 'X-Multi', 'two', 'X-Forwarded-For', '203.0.113.9', 'Accept', 'a/b, c/d'];
      const req = http.request({ port, path: '/health', headers }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c)).on('end', () => resolve(text)).on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    const { event } = JSON.parse(body);
    expect(event.multiValueHeaders['X-Multi']).toEqual(['one', 'two']);
    expect(event.headers['X-Multi']).toBe('two');
    expect(event.headers.Accept).toBe('a/b, c/d'); // API Gateway does not split on commas
    expect(event.headers['X-Forwarded-For']).toBe('203.0.113.9, 127.0.0.1');
    expect(event.headers['x-multi']).toBeUndefined();
  });

  test('the Lambda context: its own request id, the function from lib/topology.ts', async () => {
    const { res, context } = await echoed('/health');
    expect(context).toEqual({
      awsRequestId: expect.stringMatching(UUID),
      functionName: 'latchkey-local-api',
      functionVersion: '$LATEST',
      invokedFunctionArn: expect.stringMatching(/^arn:aws:lambda:[a-z0-9-]+:000000000000:function:latchkey-local-api$/),
      memoryLimitInMB: '1024',
      logGroupName: '/aws/lambda/latchkey-local-api',
      logStreamName: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
      remainingTimeInMillis: expect.any(Number),
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).not.toBe(res.headers.get('x-amzn-requestid'));
    expect(context.remainingTimeInMillis).toBeGreaterThan(25_000);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(30_000);
  });

  test('every response carries the request ids; onRequest reports it', async () => {
    const res = await fetch(`${url}/health?x=1`);
    await res.text();
    const requestId = res.headers.get('x-amzn-requestid')!;
    expect(requestId).toMatch(UUID);
    expect(res.headers.get('x-amz-apigw-id')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    expect(requests.at(-1)).toEqual({ method: 'GET', path: '/health', status: 200, latencyMs: expect.any(Number), requestId, function: 'api' });
  });

  test('a method the literal resource lacks falls through to {proxy+} (routing is on resource + method)', async () => {
    const { event } = await echoed('/health', { method: 'POST' });
    expect(event).toMatchObject({ resource: '/{proxy+}', path: '/health', httpMethod: 'POST', pathParameters: { proxy: 'health' } });
  });

  test('`/` is not taken by /{proxy+}: 403 Missing Authentication Token', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
    expect(requests.at(-1)).toMatchObject({ method: 'GET', path: '/', status: 403, function: '' });
  });

  test('a body over 10 MB: 413 Request Too Long', async () => {
    const res = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(10 * 1024 * 1024 + 1) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ message: 'Request Too Long' });
  });

  test('a body Lambda cannot take (event over 6 MB): 502', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const res = await fetch(`${url}/upload`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(7 * 1024 * 1024) });
    expect(res.status).toBe(502);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('RequestEntityTooLargeException'));
    errors.mockRestore();
  });

  test('the stage shows in requestContext only', async () => {
    const other = await serve(echo, { stage: 'dev' });
    try {
      const body = (await (await fetch(`${other.url}/health`)).json()) as { event: Record<string, any> };
      expect(body.event.path).toBe('/health');
      expect(body.event.requestContext).toMatchObject({ stage: 'dev', path: '/dev/health' });
    } finally {
      await other.server.stop();
    }
  });
});

describe('ApiGatewayServer result handling', () => {
  async function call(handler: LambdaHandler, extra: Partial<ApiGatewayServerOptions> = {}, init?: RequestInit) {
    const { server, url, requests } = await serve(handler, extra);
    try {
      const res = await fetch(`${url}/anything`, init);
      return { res, bytes: Buffer.from(await res.arrayBuffer()), requests };
    } finally {
      await server.stop();
    }
  }

  test('a throwing handler: 502 Internal server error, logged like the runtime does', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const { res, bytes, requests } = await call(throwing);
    expect(res.status).toBe(502);
    expect(JSON.parse(bytes.toString())).toEqual({ message: 'Internal server error' });
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(requests[0]).toMatchObject({ status: 502, function: 'api' });
    expect(errors).toHaveBeenCalledWith(expect.stringMatching(/latchkey-local-api .* Invoke Error TypeError: boom/));
    errors.mockRestore();
  });

  test.each([
    ['no statusCode', { body: 'x' }],
    ['a string statusCode', { statusCode: '200', body: 'x' }],
    ['an object body', { statusCode: 200, body: { a: 1 } }],
    ['undefined', undefined],
    ['a string', 'hello'],
    ['a header object value', { statusCode: 200, headers: { a: { b: 1 } } }],
    ['a header value with a newline', { statusCode: 200, headers: { a: 'x\ny' } }],
  ])('a malformed result (%s): 502', async (_label, value) => {
    const { res, bytes } = await call(returning(value));
    expect(res.status).toBe(502);
    expect(JSON.parse(bytes.toString())).toEqual({ message: 'Internal server error' });
  });

  test('a response payload over 6 MB: 502', async () => {
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const { res } = await call(returning({ statusCode: 200, body: 'x'.repeat(6 * 1024 * 1024 + 100) }));
    expect(res.status).toBe(502);
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('Function.ResponseSizeTooLarge'));
    errors.mockRestore();
  });

  test('a handler slower than the integration timeout: 504', async () => {
    const { res, bytes, requests } = await call(slow(400), { integrationTimeoutMs: 50 });
    expect(res.status).toBe(504);
    expect(JSON.parse(bytes.toString())).toEqual({ message: 'Endpoint request timed out' });
    expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
    expect(requests[0]).toMatchObject({ status: 504 });
  });

  test('multi-value headers: every Set-Cookie, headers and multiValueHeaders merged', async () => {
    const { res, bytes } = await call(cookies);
    expect(res.status).toBe(201);
    expect(res.headers.getSetCookie()).toEqual(['b=2; HttpOnly', 'c=3; Secure', 'a=1; Path=/']);
    expect(res.headers.get('x-single')).toBe('one');
    expect(res.headers.get('x-multi')).toBe('x, y');
    expect(res.headers.get('content-type')).toBe('application/json'); // REST API default
    expect(bytes.toString()).toBe('ok');
  });

  test('a base64 result body is decoded before it is written', async () => {
    const { res, bytes } = await call(binary);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-length')).toBe(String(PNG_BYTES.length));
    expect(bytes).toEqual(PNG_BYTES);
  });

  test("the handler's Content-Length cannot contradict the body", async () => {
    const { res, bytes } = await call(returning({ statusCode: 200, headers: { 'Content-Length': '999' }, body: 'short' }));
    expect(res.headers.get('content-length')).toBe('5');
    expect(bytes.toString()).toBe('short');
  });

  test('204 and HEAD answers carry no body', async () => {
    const noContent = await call(returning({ statusCode: 204, body: 'ignored' }));
    expect(noContent.res.status).toBe(204);
    expect(noContent.bytes.length).toBe(0);
    const head = await call(returning({ statusCode: 200, body: 'abc' }), {}, { method: 'HEAD' });
    expect(head.res.status).toBe(200);
    expect(head.res.headers.get('content-length')).toBe('3');
    expect(head.bytes.length).toBe(0);
  });
});

describe('ApiGatewayServer without a catch-all', () => {
  test('no resource declaring the method: 403 Missing Authentication Token', async () => {
    const server = new ApiGatewayServer({ routes: ROUTES.filter((r) => r.path !== '/{proxy+}'), handlers: { api: echo } });
    const url = await server.start(0);
    try {
      for (const [method, path] of [['POST', '/health'], ['GET', '/nowhere'], ['DELETE', '/connections/abc'], ['GET', '/connections']]) {
        const res = await fetch(`${url}${path}`, { method });
        expect(res.status).toBe(403);
        expect(res.headers.get('content-type')).toBe('application/json');
        expect(res.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
        expect(res.headers.get('x-amzn-requestid')).toMatch(UUID);
        expect(res.headers.get('x-amz-apigw-id')).toBeTruthy();
        expect(await res.json()).toEqual({ message: 'Missing Authentication Token' });
      }
    } finally {
      await server.stop();
    }
  });
});

describe('ApiGatewayServer lifecycle', () => {
  test('refuses routes without a handler', () => {
    expect(() => new ApiGatewayServer({ routes: ROUTES, handlers: {} })).toThrow('No handler for function api');
  });

  test('stop() frees the port; a second stop() is harmless', async () => {
    const { server, url } = await serve(echo);
    await (await fetch(`${url}/health`)).text();
    await server.stop();
    await server.stop();
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });
});
