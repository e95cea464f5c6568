import { Match } from 'aws-cdk-lib/assertions';
import { GATEWAY_RESPONSES, gatewayResponseBody, gatewayResponseHeaders, type GatewayResponseType } from '../../lib/gateway-responses';
import { synthesize, type Synthesized } from './support/synth';

/**
 * The REST API's gateway responses: what API Gateway answers itself (no route, too large,
 * throttled, WAF, timeouts, its 4xx/5xx defaults) is Nango's error envelope with our CORS headers,
 * deployed from the same data the local front answers with.
 */

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});
const TYPES = Object.keys(GATEWAY_RESPONSES) as GatewayResponseType[];

test.each(TYPES)('%s: deployed with its status, the envelope and the CORS headers', (type) => {
  const spec = GATEWAY_RESPONSES[type];
  const headers = Object.fromEntries(Object.entries(gatewayResponseHeaders(type)).map(([name, value]) => [`gatewayresponse.header.${name}`, `'${value}'`]));
  s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
    RestApiId: Match.anyValue(),
    ResponseType: type,
    StatusCode: spec.status === undefined ? Match.absent() : String(spec.status),
    ResponseParameters: headers,
    ResponseTemplates: { 'application/json': gatewayResponseBody(type) },
  });
});

test('exactly these gateway responses, on the one REST API', () => {
  const deployed = s.ofType('AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties!.ResponseType as string);
  expect(deployed.sort()).toEqual([...TYPES].sort());
});

test("the statuses a developer understands: an unknown route is a 404, the size limits a 413; the defaults keep each failure's own status", () => {
  const status = (type: GatewayResponseType) => GATEWAY_RESPONSES[type].status;
  expect([status('MISSING_AUTHENTICATION_TOKEN'), status('INVALID_SIGNATURE'), status('RESOURCE_NOT_FOUND')]).toEqual([404, 404, 404]);
  expect(status('REQUEST_TOO_LARGE')).toBe(413);
  expect(status('THROTTLED')).toBe(429);
  expect(status('INTEGRATION_TIMEOUT')).toBe(504);
  // A status on a default would become the status of every 4xx (or 5xx) API Gateway answers.
  expect([status('DEFAULT_4XX'), status('DEFAULT_5XX')]).toEqual([undefined, undefined]);
  expect(JSON.parse(gatewayResponseBody('REQUEST_TOO_LARGE')).error.message).toMatch(/10485760 bytes .* 6291456 bytes with the body base64-encoded .* the proxy takes bodies up to 4194304 bytes/);
  expect(gatewayResponseHeaders('THROTTLED')).toMatchObject({ 'Retry-After': '1', 'access-control-allow-origin': '*' });
});

test.each(TYPES)('%s: the body is literal JSON in the envelope (no Velocity code); header values need no escaping', (type) => {
  const body = gatewayResponseBody(type);
  expect(body).not.toMatch(/[$#]/);
  expect(JSON.parse(body)).toEqual({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
  for (const value of Object.values(gatewayResponseHeaders(type))) expect(value).not.toContain("'");
});
