import { Nango } from '@nangohq/node';
import { gatewayResponseBody, type GatewayResponseType } from '../../../lib/gateway-responses';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { startUpstream, type Upstream } from '../../support/upstream';
import { importConnection, postIntegration, putProvider } from '../../lambdas/functions/proxy/proxy-fixtures';

/**
 * What API Gateway answers itself, as a caller of the local stack sees it through the real
 * @nangohq/node SDK: Nango's error envelope from the stack's gateway responses, never API
 * Gateway's `{"message":…}` nor a bare 5xx, and nothing sent upstream.
 */

let t: TestStack;
let up: Upstream;
let nango: Nango;
const API_KEY = 'limits-api-key-0123456789abcdef';

beforeAll(async () => {
  [t, up] = await Promise.all([startTestStack(), startUpstream()]);
  t.secrets.register(API_KEY);
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  await putProvider(t, 'up-limits', { auth_mode: 'API_KEY', proxy: { base_url: up.url, headers: { 'X-Api-Key': '${apiKey}' } } });
  await postIntegration(t, 'up-limits', 'up-limits');
  await importConnection(t, 'up-limits', 'limits-1', { type: 'API_KEY', apiKey: API_KEY });
});
afterAll(async () => {
  await up?.stop();
  await t?.stop();
});
beforeEach(() => up.reset());

const envelope = (type: GatewayResponseType) => JSON.parse(gatewayResponseBody(type));

test('a 5 MB body through proxy(): under API Gateway 10 MB, over Lambda 6 MiB once base64-encoded: 413 request_too_large, the upstream never contacted', async () => {
  const call = nango.proxy({
    method: 'POST',
    providerConfigKey: 'up-limits',
    connectionId: 'limits-1',
    endpoint: '/upload',
    data: Buffer.alloc(5 * 1024 * 1024, 1),
    headers: { 'Content-Type': 'application/octet-stream' },
  });
  const err = await call.then(
    () => null,
    (e: { response?: { status: number; data: unknown; headers: Record<string, string> } }) => e,
  );
  expect(err?.response).toMatchObject({ status: 413, data: envelope('REQUEST_TOO_LARGE') });
  expect(err?.response?.headers['access-control-allow-origin']).toBe('*');
  expect(up.requests).toHaveLength(0);
  expect(up.connections).toBe(0);
});

test('the same call with a small body reaches the upstream (the connection and route work)', async () => {
  const res = await nango.proxy({ method: 'POST', providerConfigKey: 'up-limits', connectionId: 'limits-1', endpoint: '/upload', data: Buffer.alloc(1024, 1), headers: { 'Content-Type': 'application/octet-stream' } });
  expect(res.status).toBe(200);
  expect(up.requests).toHaveLength(1);
});

test('a route no resource declares: 404 not_found in the envelope, as the api function answers an unknown path', async () => {
  const gateway = await readJson(await t.api('/', { method: 'GET' }));
  expect(gateway).toEqual({ status: 404, body: envelope('MISSING_AUTHENTICATION_TOKEN') });
  const fn = await readJson(await t.api('/nowhere', { method: 'GET' }));
  expect(fn).toMatchObject({ status: 404, body: { error: { code: gateway.body.error.code } } });
});
