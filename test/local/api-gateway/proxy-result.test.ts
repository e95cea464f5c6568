import { toHttpResponse } from '../../../local/api-gateway/proxy-result';

describe('toHttpResponse', () => {
  test('a minimal result: empty body, the REST API default Content-Type', () => {
    expect(toHttpResponse({ statusCode: 200 })).toEqual({ status: 200, headers: { 'Content-Type': ['application/json'] }, body: Buffer.alloc(0) });
  });

  test('headers and multiValueHeaders merge without case; a value in both appears once', () => {
    const res = toHttpResponse({
      statusCode: 200,
      headers: { 'content-type': 'text/plain', 'X-A': 'same', 'X-Count': 3, 'X-Flag': true },
      multiValueHeaders: { 'x-a': ['same', 'other'], 'Set-Cookie': ['a=1', 'b=2'] },
      body: 'hi',
    });
    expect(res?.headers).toEqual({
      'x-a': ['same', 'other'],
      'Set-Cookie': ['a=1', 'b=2'],
      'content-type': ['text/plain'],
      'X-Count': ['3'],
      'X-Flag': ['true'],
    });
  });

  test('the gateway owns framing headers', () => {
    const res = toHttpResponse({ statusCode: 200, headers: { 'Content-Length': '9', 'Transfer-Encoding': 'chunked', Connection: 'close' } });
    expect(Object.keys(res!.headers)).toEqual(['Content-Type']);
  });

  test('isBase64Encoded bodies are decoded; null headers and body are fine', () => {
    const res = toHttpResponse({ statusCode: 200, headers: null, multiValueHeaders: null, body: Buffer.from([1, 2, 255]).toString('base64'), isBase64Encoded: true });
    expect(res?.body).toEqual(Buffer.from([1, 2, 255]));
    expect(toHttpResponse({ statusCode: 404, body: null })?.body.length).toBe(0);
  });

  test.each([
    null,
    [],
    { statusCode: 99 },
    { statusCode: 600 },
    { statusCode: 200.5 },
    { statusCode: 200, body: 5 },
    { statusCode: 200, isBase64Encoded: 'yes' },
    { statusCode: 200, headers: [] },
    { statusCode: 200, headers: { a: null } },
    { statusCode: 200, multiValueHeaders: { a: 'not-a-list' } },
    { statusCode: 200, multiValueHeaders: { a: [{}] } },
    { statusCode: 200, headers: { 'bad name': 'x' } },
  ])('malformed: %j', (result) => {
    expect(toHttpResponse(result)).toBeNull();
  });
});
