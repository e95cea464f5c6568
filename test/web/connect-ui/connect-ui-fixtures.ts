import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConsoleMessage, Frame, Page } from 'playwright-core';
import type { TestStack } from '../../support/local-stack';

/** Providers the Connect UI tests connect to: a loopback API that accepts one key and one password. */

export const GOOD_KEY = 'good-api-key-0123456789';
export const WRONG_KEY = 'wrong-api-key-9876543210';
export const GOOD_USER = { username: 'ada', password: 'lovelace-secret-pw' };
export const WRONG_PASSWORD = 'not-the-password-42';

export interface ProviderApi {
  url: string;
  stop(): Promise<void>;
}

/** Answers 200 to the good key or the good basic credentials, 401 to anything else. */
export async function startProviderApi(): Promise<ProviderApi> {
  const basic = `Basic ${Buffer.from(`${GOOD_USER.username}:${GOOD_USER.password}`).toString('base64')}`;
  const server = http.createServer((req, res) => {
    const ok = req.headers.authorization === `Bearer ${GOOD_KEY}` || req.headers.authorization === basic;
    res.statusCode = ok ? 200 : 401;
    res.end(JSON.stringify({ ok }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** PUT a custom provider and POST an integration of it (same key). */
export async function integration(t: TestStack, key: string, definition: Record<string, unknown>): Promise<void> {
  const put = await t.api(`/providers/${key}`, { method: 'PUT', json: { allow_private_network: true, ...definition } });
  if (put.status >= 300) throw new Error(`PUT provider ${key}: ${put.status} ${await put.text()}`);
  const post = await t.api('/integrations', { method: 'POST', json: { provider: key, unique_key: key } });
  if (post.status !== 200) throw new Error(`POST integration ${key}: ${post.status} ${await post.text()}`);
}

export async function setUpProviders(t: TestStack, api: ProviderApi): Promise<void> {
  const verification = { method: 'GET', endpoints: ['/me'] };
  await integration(t, 'acme-keys', {
    display_name: 'Acme Analytics',
    auth_mode: 'API_KEY',
    docs_connect: 'https://docs.acme.example/api-keys',
    credentials: { apiKey: { type: 'string', title: 'Acme API key', description: 'Settings → Developers → API keys.', example: 'ak_live_…', secret: true } },
    connection_config: { workspace: { type: 'string', title: 'Workspace', description: 'The name in your Acme address.', example: 'my-team', pattern: '^[a-z0-9-]+$' } },
    proxy: { base_url: api.url, headers: { authorization: 'Bearer ${apiKey}' }, verification },
  });
  await integration(t, 'basic-crm', { display_name: 'Basic CRM', auth_mode: 'BASIC', proxy: { base_url: api.url, verification } });
  // Catalog providers, for their brand logos in the list.
  for (const provider of ['github', 'notion']) {
    const res = await t.api('/integrations', { method: 'POST', json: { provider, unique_key: provider, credentials: { type: 'OAUTH2', client_id: 'client-id', client_secret: 'client-secret-value' } } });
    if (res.status !== 200) throw new Error(`POST integration ${provider}: ${res.status} ${await res.text()}`);
  }
}

export async function connectLink(t: TestStack, body: Record<string, unknown>, path = '/connect/sessions'): Promise<{ token: string; link: string }> {
  const res = await t.api(path, { method: 'POST', json: body });
  const json = (await res.json()) as { data: { token: string; connect_link: string } };
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
  t.secrets.register(json.data.token);
  return { token: json.data.token, link: json.data.connect_link };
}

/** Console errors and CSP reports of a page (a test expects none). */
export function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m: ConsoleMessage) => {
    // A refused credential is a 4xx the browser reports as a failed load: expected, not a problem.
    const failedLoad = /^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text());
    if ((m.type() === 'error' && !failedLoad) || /Content.Security.Policy/i.test(m.text())) problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

/** A customer page (at `appUrl`, with the real frontend SDK) opens the Connect UI in its iframe; the SDK's events collect in the page. */
export async function openConnectUI(page: Page, appUrl: string, t: TestStack, token: string, options: Record<string, unknown> = {}): Promise<Frame> {
  await page.goto(appUrl);
  await page.evaluate(
    ({ token, baseURL, apiURL, options }) => {
      const g = globalThis as unknown as { Nango: new (o: unknown) => { openConnectUI(o: unknown): unknown }; events: unknown[] };
      g.events = [];
      new g.Nango({ connectSessionToken: token }).openConnectUI({ baseURL, apiURL, onEvent: (e: unknown) => void g.events.push(e), ...options });
    },
    { token, baseURL: `${t.baseUrl}/connect`, apiURL: t.baseUrl, options },
  );
  return (await (await page.waitForSelector('iframe#connect-ui')).contentFrame())!;
}

/** The SDK events the customer page has seen so far. */
export const sdkEvents = (page: Page) => page.evaluate(() => (globalThis as unknown as { events: Array<{ type: string; payload?: unknown }> }).events);
