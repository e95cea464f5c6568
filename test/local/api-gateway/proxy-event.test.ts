import { buildProxyEvent, formatRequestTime, isBinaryContentType, parseQuery } from '../../../local/api-gateway/proxy-event';

describe('proxy event pieces', () => {
  test('parseQuery: repeated keys, bare keys, form decoding, bad escapes', () => {
    expect(parseQuery('')).toBeNull();
    expect(parseQuery('&&')).toBeNull();
    expect(parseQuery('a=1&a=2&b&c=&d=x%20y+z&e=%zz&f=a=b')).toEqual({
      a: ['1', '2'],
      b: [''],
      c: [''],
      d: ['x y z'],
      e: ['%zz'],
      f: ['a=b'],
    });
  });

  test.each([
    [undefined, false],
    ['text/html; charset=utf-8', true],
    ['application/json', true],
    ['application/octet-stream', true],
    ['multipart/form-data; boundary=abc', true],
  ])('isBinaryContentType(%s) with the stack\'s */* = %s', (type, binary) => {
    expect(isBinaryContentType(type)).toBe(binary);
  });

  test.each([
    ['image/png', ['image/*'], true],
    ['IMAGE/PNG; q=1', ['image/*'], true],
    ['text/plain', ['image/*'], false],
    ['application/pdf', ['application/pdf'], true],
    ['application/pdfx', ['application/pdf'], false],
    ['application/json', ['*/json'], true],
    [undefined, ['*/*'], false],
  ])('isBinaryContentType(%s) with %j = %s (API Gateway wildcards)', (type, types, binary) => {
    expect(isBinaryContentType(type, types)).toBe(binary);
  });

  test('formatRequestTime: API Gateway requestTime format in UTC', () => {
    expect(formatRequestTime(new Date('2025-03-04T05:06:07.890Z'))).toBe('04/Mar/2025:05:06:07 +0000');
  });

  test('a whole event from a request, without a socket', () => {
    const receivedAt = new Date('2025-01-02T03:04:05.678Z');
    const event = buildProxyEvent(
      {
        method: 'POST',
        url: '/connections/c%201?x=1&x=2',
        rawHeaders: ['Host', 'api.local:4000', 'X-Forwarded-Proto', 'https', 'Content-Type', 'image/gif', 'User-Agent', 'ua/1'],
        body: Buffer.from([0xff, 0x00]),
        sourceIp: '10.0.0.7',
        localPort: 4000,
        httpVersion: '1.1',
      },
      { resource: '/connections/{id}', pathParameters: { id: 'c 1' } },
      'prod',
      { requestId: 'req-1', extendedRequestId: 'ext-1', traceId: 'Root=1-00000000-000000000000000000000000', receivedAt },
    );
    expect(event).toEqual({
      resource: '/connections/{id}',
      path: '/connections/c%201',
      httpMethod: 'POST',
      headers: {
        Host: 'api.local:4000',
        'X-Forwarded-Proto': 'http', // the gateway's own view, not the client's claim
        'Content-Type': 'image/gif',
        'User-Agent': 'ua/1',
        'X-Forwarded-For': '10.0.0.7',
        'X-Forwarded-Port': '4000',
        'X-Amzn-Trace-Id': 'Root=1-00000000-000000000000000000000000',
      },
      multiValueHeaders: {
        Host: ['api.local:4000'],
        'X-Forwarded-Proto': ['http'],
        'Content-Type': ['image/gif'],
        'User-Agent': ['ua/1'],
        'X-Forwarded-For': ['10.0.0.7'],
        'X-Forwarded-Port': ['4000'],
        'X-Amzn-Trace-Id': ['Root=1-00000000-000000000000000000000000'],
      },
      queryStringParameters: { x: '2' },
      multiValueQueryStringParameters: { x: ['1', '2'] },
      pathParameters: { id: 'c 1' },
      stageVariables: null,
      requestContext: {
        resourceId: expect.stringMatching(/^[0-9a-f]{6}$/),
        resourcePath: '/connections/{id}',
        httpMethod: 'POST',
        extendedRequestId: 'ext-1',
        requestTime: '02/Jan/2025:03:04:05 +0000',
        path: '/prod/connections/c%201',
        accountId: '000000000000',
        protocol: 'HTTP/1.1',
        stage: 'prod',
        domainPrefix: 'api',
        requestTimeEpoch: receivedAt.getTime(),
        requestId: 'req-1',
        identity: {
          accessKey: null, accountId: null, apiKey: null, apiKeyId: null, caller: null, clientCert: null,
          cognitoAuthenticationProvider: null, cognitoAuthenticationType: null, cognitoIdentityId: null,
          cognitoIdentityPoolId: null, principalOrgId: null, sourceIp: '10.0.0.7', user: null, userAgent: 'ua/1', userArn: null,
        },
        domainName: 'api.local:4000',
        apiId: 'latchkey00',
        authorizer: null,
      },
      body: Buffer.from([0xff, 0x00]).toString('base64'),
      isBase64Encoded: true,
    });
  });
});
