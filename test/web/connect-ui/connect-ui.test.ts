import type { Browser, Frame, Page } from 'playwright-core';
import { launchBrowser, loopbackContext, screenshot, seriousAxeViolations, startCustomerApp, type CustomerApp } from '../../support/browser';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { connectLink, GOOD_KEY, GOOD_USER, openConnectUI, sdkEvents, setUpProviders, startProviderApi, watchConsole, WRONG_KEY, WRONG_PASSWORD, type ProviderApi } from './connect-ui-fixtures';

/**
 * The Connect UI in a real Chromium against the local stack: standalone at the session's
 * connect_link, and inside the iframe of the real `@nangohq/frontend`'s openConnectUI().
 */

let t: TestStack;
let api: ProviderApi;
let browser: Browser;
let app: CustomerApp;

beforeAll(async () => {
  [t, api, browser, app] = await Promise.all([startTestStack(), startProviderApi(), launchBrowser(), startCustomerApp()]);
  await setUpProviders(t, api);
  t.secrets.register(GOOD_KEY, WRONG_KEY, GOOD_USER.password, WRONG_PASSWORD);
}, 90_000);
afterAll(async () => {
  await Promise.all([browser?.close(), app?.stop(), api?.stop()]);
  await t?.stop();
});

async function connectionCount(endUserId: string): Promise<number> {
  const res = await t.api(`/connections?endUserId=${endUserId}`);
  return ((await res.json()) as { connections: unknown[] }).connections.length;
}

async function expectAccessible(page: Page) {
  expect(await seriousAxeViolations(page)).toEqual([]);
}

describe.each(['light', 'dark'] as const)('standalone at the connect_link (%s)', (theme) => {
  test('list → form → the provider’s refusal → success; every state accessible, screenshotted; the token leaves the address bar', async () => {
    const endUser = `standalone-${theme}`;
    const { link, token } = await connectLink(t, { end_user: { id: endUser }, allowed_integrations: ['acme-keys', 'basic-crm', 'github', 'notion'] });
    expect(link).toBe(`${t.baseUrl}/connect?session_token=${encodeURIComponent(token)}`);
    const { context, offLoopback } = await loopbackContext(browser, { colorScheme: theme });
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(link);

    await page.getByRole('heading', { name: 'Choose an app to connect' }).waitFor();
    expect(page.url()).toBe(`${t.baseUrl}/connect`);
    await expect(page.getByRole('button', { name: /Acme Analytics/ }).isVisible()).resolves.toBe(true);
    await page.waitForFunction(() => Array.from((globalThis as unknown as { document: { images: Array<{ complete: boolean; naturalWidth: number }> } }).document.images).every((i) => i.complete && i.naturalWidth > 0));
    await screenshot(page, `connect-ui-list-${theme}`);
    await expectAccessible(page);

    await page.getByRole('searchbox', { name: 'Search apps' }).fill('crm');
    expect(await page.getByRole('listitem').allInnerTexts()).toEqual([expect.stringContaining('Basic CRM')]);
    await page.getByRole('searchbox', { name: 'Search apps' }).fill('zzz');
    await page.getByText('No app matches “zzz”.').waitFor();
    await page.getByRole('searchbox', { name: 'Search apps' }).fill('');

    await page.getByRole('button', { name: /Acme Analytics/ }).click();
    await page.getByRole('heading', { name: 'Connect Acme Analytics' }).waitFor();
    await page.getByText('Settings → Developers → API keys. Example: ak_live_…').waitFor();
    expect(await page.getByRole('link', { name: /Where do I find this/ }).getAttribute('href')).toBe('https://docs.acme.example/api-keys');
    await screenshot(page, `connect-ui-form-${theme}`);
    await expectAccessible(page);

    // Validation from the provider's definition, before anything is sent.
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByText('Fill in this field.').first().waitFor();
    await page.getByLabel('Workspace').fill('Not Valid!');
    await page.getByText('This value does not have the expected format (example: my-team).').waitFor();
    await page.getByLabel('Workspace').fill('my-team');

    await page.getByLabel('Acme API key').fill(WRONG_KEY);
    expect(await page.getByLabel('Acme API key').getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Show' }).click();
    expect(await page.getByLabel('Acme API key').getAttribute('type')).toBe('text');
    await page.getByRole('button', { name: 'Hide' }).click();
    expect(await page.getByLabel('Acme API key').getAttribute('type')).toBe('password');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/The connection failed[\s\S]*Acme Analytics refused these credentials[\s\S]*the provider rejected them \(HTTP 401\)[\s\S]*connection_test_failed/);
    await screenshot(page, `connect-ui-error-${theme}`);
    await expectAccessible(page);
    expect(await connectionCount(endUser)).toBe(0);

    await page.getByLabel('Acme API key').fill(GOOD_KEY);
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.getByRole('heading', { name: 'Connected' }).waitFor();
    await page.getByText('Acme Analytics is connected.', { exact: false }).waitFor();
    await screenshot(page, `connect-ui-success-${theme}`);
    await expectAccessible(page);
    expect(await connectionCount(endUser)).toBe(1);

    // The typed secrets stayed in memory: not in storage, not in a URL.
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: { length: number }; sessionStorage: { length: number }; location: { href: string } };
      return { local: g.localStorage.length, session: g.sessionStorage.length, href: g.location.href };
    });
    expect(stored).toEqual({ local: 0, session: 0, href: `${t.baseUrl}/connect` });
    expect(problems).toEqual([]);
    expect(offLoopback).toEqual([]);
    await context.close();
  });

  test('an expired or unknown session says so, and how to get a new link', async () => {
    const { context } = await loopbackContext(browser, { colorScheme: theme });
    const page = await context.newPage();
    const problems = watchConsole(page);
    await page.goto(`${t.baseUrl}/connect?session_token=nango_connect_session_${'0'.repeat(64)}`);
    await page.getByRole('heading', { name: 'This page cannot be used' }).waitFor();
    expect(await page.getByRole('alert').innerText()).toContain('This link has expired or is not valid.');
    await screenshot(page, `connect-ui-fatal-${theme}`);
    await expectAccessible(page);
    expect(problems).toEqual([]);
    await context.close();
  });
});

test('keyboard only: search, pick, type, submit, finish; the focus is always visible', async () => {
  const { link } = await connectLink(t, { end_user: { id: 'keyboard' }, allowed_integrations: ['acme-keys', 'basic-crm'] });
  const { context } = await loopbackContext(browser);
  const page = await context.newPage();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Choose an app to connect' }).waitFor();
  const focused = () =>
    page.evaluate(() => {
      type El = { getAttribute(n: string): string | null; textContent: string | null };
      const g = globalThis as unknown as { document: { activeElement: El }; getComputedStyle(e: El): { outlineStyle: string; outlineWidth: string } };
      const el = g.document.activeElement;
      const style = g.getComputedStyle(el);
      return { label: el.getAttribute('aria-label') ?? el.getAttribute('id') ?? el.textContent?.trim(), outline: style.outlineStyle === 'none' ? 'none' : `${style.outlineWidth} ${style.outlineStyle}` };
    });
  expect(await focused()).toEqual({ label: 'search', outline: '3px solid' });
  await page.keyboard.type('basic');
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ label: expect.stringContaining('Basic CRM'), outline: '3px solid' });
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Connect Basic CRM' }).waitFor();
  await page.waitForFunction(() => (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement.id === 'credentials.username');
  await page.keyboard.type(GOOD_USER.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(WRONG_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('alert').waitFor();
  // The alert takes the focus, so a keyboard (or screen reader) user reads what failed first.
  expect(await focused()).toEqual({ label: expect.stringContaining('The connection failed'), outline: expect.any(String) });
  await page.keyboard.press('Tab'); // username
  await page.keyboard.press('Tab'); // password
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(GOOD_USER.password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  await page.keyboard.press('Tab');
  expect(await focused()).toEqual({ label: 'Done', outline: '3px solid' });
  await context.close();
});

test('a reconnect session goes straight to its integration, titled as a reconnection', async () => {
  const first = await connectLink(t, { end_user: { id: 'reconnecting' }, allowed_integrations: ['acme-keys'] });
  const made = await fetch(`${t.baseUrl}/api-auth/api-key/acme-keys?connect_session_token=${first.token}&params[workspace]=team`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: GOOD_KEY }) });
  const { connectionId } = (await made.json()) as { connectionId: string };
  const { link } = await connectLink(t, { connection_id: connectionId, integration_id: 'acme-keys' }, '/connect/sessions/reconnect');
  const { context } = await loopbackContext(browser);
  const page = await context.newPage();
  await page.goto(`${link}&lang=fr`);
  await page.getByRole('heading', { name: 'Reconnecter Acme Analytics' }).waitFor();
  expect(await page.getByRole('button', { name: 'Retour à la liste' }).count()).toBe(0);
  expect(await page.getByLabel('Workspace').inputValue()).toBe('');
  await context.close();
});

test('connection config the app preset for the session is not asked again, and is what gets stored', async () => {
  const { link } = await connectLink(t, { end_user: { id: 'preset' }, allowed_integrations: ['acme-keys'], integrations_config_defaults: { 'acme-keys': { connection_config: { workspace: 'preset-team' } } } });
  const { context } = await loopbackContext(browser);
  const page = await context.newPage();
  await page.goto(link);
  await page.getByRole('heading', { name: 'Connect Acme Analytics' }).waitFor();
  // The form is whole once its first field shows.
  await page.getByLabel('Acme API key').waitFor();
  expect(await page.getByLabel('Workspace').count()).toBe(0);
  await page.getByLabel('Acme API key').fill(GOOD_KEY);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  const res = await t.api('/connections?endUserId=preset');
  const [connection] = ((await res.json()) as { connections: Array<{ connection_id: string }> }).connections;
  const full = (await (await t.api(`/connection/${connection.connection_id}?provider_config_key=acme-keys`)).json()) as { connection_config: Record<string, unknown> };
  expect(full.connection_config).toMatchObject({ workspace: 'preset-team' });
  await context.close();
});

test.each([
  ['de', 'Wählen Sie die App, die Sie verbinden möchten'],
  ['es', 'Elija la aplicación que quiere conectar'],
  ['fr', 'Choisissez l’application à connecter'],
  ['en', 'Choose an app to connect'],
])('speaks %s (from the lang parameter, else the browser’s language)', async (lang, heading) => {
  const { link } = await connectLink(t, { end_user: { id: `lang-${lang}` } });
  const { context } = await loopbackContext(browser, { locale: lang === 'en' ? 'en-US' : 'de-DE' });
  const page = await context.newPage();
  await page.goto(lang === 'de' ? link : `${link}&lang=${lang}`);
  await page.getByRole('heading', { name: heading }).waitFor();
  expect(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang)).toBe(lang);
  await context.close();
});

describe('inside openConnectUI()’s iframe, driven by the real frontend SDK', () => {
  const openFromCustomerApp = (page: Page, token: string, options: Record<string, unknown> = {}) => openConnectUI(page, app.url, t, token, options);
  const events = sdkEvents;

  test('basic credentials: the refusal, then connect with the new id, then close removes the iframe', async () => {
    const { token } = await connectLink(t, { end_user: { id: 'framed' }, allowed_integrations: ['acme-keys', 'basic-crm'] });
    const { context, offLoopback } = await loopbackContext(browser);
    const page = await context.newPage();
    const problems = watchConsole(page);
    const frame: Frame = await openFromCustomerApp(page, token, { themeOverride: 'dark' });
    await frame.getByRole('heading', { name: 'Choose an app to connect' }).waitFor();
    expect(await frame.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme)).toBe('dark');
    await frame.getByRole('button', { name: /Basic CRM/ }).click();
    await frame.getByLabel('Username').fill(GOOD_USER.username);
    await frame.getByLabel('Password').fill(WRONG_PASSWORD);
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByRole('alert').waitFor();
    expect(await frame.getByRole('alert').innerText()).toContain('Basic CRM refused these credentials');
    await frame.getByLabel('Password').fill(GOOD_USER.password);
    await frame.getByRole('button', { name: 'Connect', exact: true }).click();
    await frame.getByRole('heading', { name: 'Connected' }).waitFor();
    await screenshot(page, 'connect-ui-iframe-success-dark');
    await frame.getByRole('button', { name: 'Done' }).click();
    await page.waitForSelector('iframe#connect-ui', { state: 'detached' });

    const seen = await events(page);
    expect(seen.map((e) => e.type)).toEqual(['ready', 'settings_changed', 'error', 'connect', 'close']);
    expect(seen[2].payload).toEqual({ errorType: 'connection_test_failed', errorMessage: 'The credentials could not be verified: the provider rejected them (HTTP 401).' });
    const connected = seen[3].payload as { providerConfigKey: string; connectionId: string };
    expect(connected).toEqual({ providerConfigKey: 'basic-crm', connectionId: expect.stringMatching(/^[0-9a-f-]{36}$/), isPending: false });
    const res = await t.api(`/connection/${connected.connectionId}?provider_config_key=basic-crm`);
    expect(res.status).toBe(200);
    expect(problems).toEqual([]);
    expect(offLoopback).toEqual([]);
    await context.close();
  });

  test('an apiURL other than the server’s own is ignored: the token goes nowhere else', async () => {
    const { token } = await connectLink(t, { end_user: { id: 'framed-elsewhere' } });
    const { context } = await loopbackContext(browser);
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const warnings: string[] = [];
    page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
    const frame = await openFromCustomerApp(page, token, { apiURL: 'http://127.0.0.1:9' });
    await frame.getByRole('heading', { name: 'Choose an app to connect' }).waitFor();
    expect(requested.filter((u) => u.startsWith('http://127.0.0.1:9/'))).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining(`apiURL http://127.0.0.1:9 ignored; this Connect UI only talks to ${t.baseUrl}`)]);
    await frame.getByRole('searchbox', { name: 'Search apps' }).press('Escape');
    await page.waitForSelector('iframe#connect-ui', { state: 'detached' });
    await context.close();
  });

  test('the session token is taken from the parent window only, also when it arrives later (setSessionToken)', async () => {
    const { token } = await connectLink(t, { end_user: { id: 'framed-later' } });
    const { context } = await loopbackContext(browser);
    const page = await context.newPage();
    const sessionReads: string[] = [];
    page.on('request', (r) => r.url() === `${t.baseUrl}/connect/session` && sessionReads.push(r.url()));
    await page.goto(app.url);
    await page.evaluate(
      ({ baseURL, apiURL }) => {
        const g = globalThis as unknown as { Nango: new (o: unknown) => { openConnectUI(o: unknown): unknown }; ui: unknown };
        // No token yet: the SDK answers `ready` with an undefined one.
        g.ui = new g.Nango({}).openConnectUI({ baseURL, apiURL });
      },
      { baseURL: `${t.baseUrl}/connect`, apiURL: t.baseUrl },
    );
    const frame = (await (await page.waitForSelector('iframe#connect-ui')).contentFrame())!;
    await frame.getByRole('status').getByText('Loading…').waitFor();
    // Another window (a sibling frame of the customer page) offers a token: ignored.
    await page.evaluate((token) => {
      const g = globalThis as unknown as { document: { body: { append(e: unknown): void }; createElement(n: string): { contentWindow: { eval(code: string): void } } } };
      const sibling = g.document.createElement('iframe');
      g.document.body.append(sibling);
      sibling.contentWindow.eval(`parent.document.getElementById('connect-ui').contentWindow.postMessage({ type: 'session_token', sessionToken: ${JSON.stringify(token)} }, '*')`);
    }, token);
    await page.waitForTimeout(1000);
    expect(sessionReads).toEqual([]);
    expect(await frame.getByRole('heading').innerText()).toBe('Connect an app');
    await page.evaluate((token) => (globalThis as unknown as { ui: { setSessionToken(t: string): void } }).ui.setSessionToken(token), token);
    await frame.getByRole('heading', { name: 'Choose an app to connect' }).waitFor();
    await context.close();
  });
});
