import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { refreshConnection } from '../../../lambdas/connections/refresh/refresh-coordinator';
import { proxyCall, type ProxyCallInput } from '../../../lambdas/proxy/proxy-call';
import { ProxyHeadersSchema } from '../../../lambdas/proxy/proxy-schema';
import { database, envelopeCipher } from '../../support/handles';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { startUpstream, type Upstream, type UpstreamAnswer } from '../../support/upstream';
import { importConnection, postIntegration, putProvider } from '../functions/proxy/proxy-fixtures';

/**
 * The proxy's verb in process, where its clock and pauses are injected: retries pause as asked
 * without the test waiting, the time budget bounds attempts and pauses, decompression.
 */

let t: TestStack;
let up: Upstream;
let environmentId: string;
const KEY = 'call-api-key-0123456789abcdef';

beforeAll(async () => {
  [t, up] = await Promise.all([startTestStack(), startUpstream()]);
  t.secrets.register(KEY);
  await putProvider(t, 'call-up', { auth_mode: 'API_KEY', proxy: { base_url: up.url, headers: { 'x-api-key': '${apiKey}' }, retry: { after: 'x-wait' } } });
  await postIntegration(t, 'call-up', 'call-up');
  await importConnection(t, 'call-up', 'c', { type: 'API_KEY', apiKey: KEY });
  [{ id: environmentId }] = await database().query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
});
afterAll(async () => {
  await up?.stop();
  await t?.stop();
});
beforeEach(() => up.reset());

function input(headers: Record<string, string> = {}, extra: Partial<ProxyCallInput> = {}): ProxyCallInput {
  return {
    db: database(),
    cipher: envelopeCipher(),
    key: { environmentId, providerConfigKey: 'call-up', connectionId: 'c' },
    method: 'GET',
    endpoint: '/x',
    query: [],
    headers,
    options: ProxyHeadersSchema.parse({ 'connection-id': 'c', 'provider-config-key': 'call-up', ...headers }),
    now: new Date(),
    audit: { environmentId, actor: { type: 'system', id: 'test' }, request: { requestId: null, sourceIp: null, userAgent: null }, outcome: 'success' },
    refresh: refreshConnection,
    ...extra,
  };
}

test("the pauses are the upstream's Retry-After, then the provider's `after` header, then jittered backoff", async () => {
  up.answer = (_req, i) => ([{ status: 503, headers: { 'retry-after': '2' } }, { status: 429, headers: { 'x-wait': '3' } }, { status: 502 }, { status: 200, body: 'ok' }] as UpstreamAnswer[])[i];
  const pauses: number[] = [];
  const answer = await proxyCall(input({ retries: '3' }, { sleep: async (ms) => void pauses.push(ms), random: () => 0.5 }));
  expect(answer.status).toBe(200);
  expect(answer.body.toString()).toBe('ok');
  expect(pauses).toEqual([2000, 3000, 500]);
});

test('a pause that does not fit the time left ends the retries with the last answer, at once', async () => {
  up.answer = () => ({ status: 503, headers: { 'retry-after': '60' }, body: 'busy' });
  const pauses: number[] = [];
  const answer = await proxyCall(input({ retries: '5' }, { sleep: async (ms) => void pauses.push(ms) }));
  expect(answer.status).toBe(503);
  expect(pauses).toEqual([]);
  expect(up.requests).toHaveLength(1);
});

test('an upstream that does not answer: 504 provider_timeout within the budget', async () => {
  const silent = http.createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const override = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    await putProvider(t, 'call-silent', { auth_mode: 'API_KEY', proxy: { base_url: override, headers: { 'x-api-key': '${apiKey}' } } });
    await postIntegration(t, 'call-silent', 'call-silent');
    await importConnection(t, 'call-silent', 'c', { type: 'API_KEY', apiKey: KEY });
    const started = performance.now();
    const failure = await proxyCall({ ...input(), key: { environmentId, providerConfigKey: 'call-silent', connectionId: 'c' }, budgetMs: 1500 }).then(
      () => undefined,
      (err: { reason?: string }) => err.reason,
    );
    expect(failure).toBe('upstream_timeout');
    // Bounds a hang only: the budget ended the call, not the 20 s attempt limit.
    expect(performance.now() - started).toBeLessThan(15_000);
  } finally {
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

test('Decompress: the body without its content coding, and without Content-Encoding', async () => {
  const text = JSON.stringify({ hello: 'world'.repeat(100) });
  up.answer = () => ({ headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(text) });
  const plain = await proxyCall(input({ decompress: 'true' }));
  expect(plain.body.toString()).toBe(text);
  expect(plain.headers['content-encoding']).toBeUndefined();
  const raw = await proxyCall(input());
  // Without it: the bytes the upstream sent, as it sent them.
  expect(raw.body.equals(gzipSync(text))).toBe(true);
  expect(raw.headers['content-encoding']).toEqual(['gzip']);
});
