import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { providerRequest } from '../../../lambdas/platform/net/provider-http';
import { webhookRequestPolicy, WEBHOOK_TIMEOUT_MS } from '../../../lambdas/webhooks/outbound-policy';

const FLAG = 'LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP';
let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/redirect') res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => delete process.env[FLAG]);

const post = (url: string) => providerRequest({ method: 'POST', url, body: '{}', ...webhookRequestPolicy(url) });

test('a 10 s timeout always', () => {
  expect(webhookRequestPolicy('https://example.com/hook').timeoutMs).toBe(WEBHOOK_TIMEOUT_MS);
  expect(WEBHOOK_TIMEOUT_MS).toBe(10_000);
});

test('without the local flag: HTTPS only and no loopback, private or metadata address', async () => {
  await expect(post(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post(`https://127.0.0.1:${port}/`)).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post('https://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post('https://10.0.0.1/hook')).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post('https://localhost/hook')).rejects.toMatchObject({ reason: 'blocked' });
});

test('with the local flag: plain HTTP to loopback only; private networks stay closed', async () => {
  process.env[FLAG] = 'true';
  expect((await post(`http://127.0.0.1:${port}/`)).status).toBe(200);
  expect((await post(`http://localhost:${port}/`)).status).toBe(200);
  await expect(post('http://10.0.0.1/hook')).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post('http://169.254.169.254/latest/meta-data')).rejects.toMatchObject({ reason: 'blocked' });
  await expect(post('http://example.com/hook')).rejects.toMatchObject({ reason: 'blocked' });
});

test('redirects are answered, never followed', async () => {
  process.env[FLAG] = 'true';
  const res = await post(`http://127.0.0.1:${port}/redirect`);
  expect(res.status).toBe(302);
});
