import type { Browser, Page } from 'playwright-core';
import { database } from '../../support/handles';
import { loopbackContext, screenshot, seriousAxeViolations, type CustomerApp } from '../../support/browser';
import type { TestStack } from '../../support/local-stack';
import { OAUTH_TEST_PASSWORD, type OAuthServer } from '../../support/oauth-server';
import { startBrowserOAuthWorld, type BrowserOAuthWorld } from '../../lambdas/connect/connect-fixtures';
import { connectLink, integration, openConnectUI as openFromFixtures, sdkEvents, watchConsole } from './connect-ui-fixtures';

/**
 * OAuth through the Connect UI in Chromium: openConnectUI()'s iframe opens our own popup flow (no
 * frontend SDK inside the UI), the end user goes through oidc-provider's real sign-in and consent,
 * and the UI learns the connection id over the WebSocket relay.
 */

let t: TestStack;
let server: OAuthServer;
let browser: Browser;
let app: CustomerApp;

let world: BrowserOAuthWorld;

beforeAll(async () => {
  world = await startBrowserOAuthWorld();
  ({ t, server, browser, app } = world);
  t.secrets.register(server.clients.post.client_secret);
  await integration(t, 'machine', { display_name: 'Machine API', auth_mode: 'OAUTH2_CC', token_url: server.tokenUrl });
}, 90_000);
afterAll(() => world?.stop());

const openConnectUI = (page: Page, token: string, options: Record<string, unknown> = {}) => openFromFixtures(page, app.url, t, token, options);
const events = sdkEvents;

test('pick the integration, authorize in the popup: connect with the new connection id, then close', async () => {
  const { token } = await connectLink(t, { end_user: { id: 'ui-oauth' }, allowed_integrations: ['oidc', 'other'] });
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  const problems = watchConsole(page);
  const frame = await openConnectUI(page, token);
  await frame.getByRole('button', { name: /^oidc/ }).click();
  await frame.getByText('A new window opens where you sign in to oidc and allow access.').waitFor();
  // The SDK creates its iframe without a title (frame-title): the customer page's, not ours to fix.
  expect((await seriousAxeViolations(page)).filter((v) => !(v.id === 'frame-title' && v.nodes.join() === '#connect-ui'))).toEqual([]);
  await screenshot(page, 'connect-ui-iframe-oauth-light');

  const popupOpened = context.waitForEvent('page');
  await frame.getByRole('button', { name: 'Continue with oidc' }).click();
  const popup = await popupOpened;
  const popupClosed = new Promise((resolve) => popup.once('close', resolve));
  await popup.waitForSelector('input[name=login]');
  await frame.getByRole('button', { name: 'Finish signing in to oidc in the other window…' }).waitFor();
  await popup.fill('input[name=login]', 'alice');
  await popup.fill('input[name=password]', OAUTH_TEST_PASSWORD);
  await Promise.all([popup.waitForURL(/\/interaction\//), popup.click('button')]);
  await popup.waitForSelector('text=Allow access?');
  await popup.click('button:has-text("Allow")');

  await frame.getByRole('heading', { name: 'Connected' }).waitFor();
  // The callback page closes on the UI's acknowledgement.
  await popupClosed;
  await frame.getByRole('button', { name: 'Done' }).click();
  await page.waitForSelector('iframe#connect-ui', { state: 'detached' });
  const [row] = await database().query<{ connection_id: string }>("SELECT c.connection_id FROM connections c JOIN end_users e ON e.id = c.end_user_id WHERE e.end_user_id = 'ui-oauth'");
  const seen = await events(page);
  expect(seen.map((e) => e.type)).toEqual(['ready', 'settings_changed', 'connect', 'close']);
  expect(seen[2].payload).toEqual({ providerConfigKey: 'oidc', connectionId: row.connection_id, isPending: false });
  expect(problems).toEqual([]);
  expect(offLoopback).toEqual([]);
  await context.close();
});

test('the popup closed before the end: the UI says so and offers to try again', async () => {
  const { token } = await connectLink(t, { end_user: { id: 'ui-oauth-closed' }, allowed_integrations: ['oidc'] });
  const { context } = await loopbackContext(browser);
  const page = await context.newPage();
  const frame = await openConnectUI(page, token, { detectClosedAuthWindow: true });
  // One allowed integration: straight to it.
  await frame.getByRole('heading', { name: 'Connect oidc' }).waitFor();
  const popupOpened = context.waitForEvent('page');
  await frame.getByRole('button', { name: 'Continue with oidc' }).click();
  const popup = await popupOpened;
  await popup.waitForSelector('input[name=login]');
  await popup.close();
  await frame.getByRole('alert').waitFor();
  expect(await frame.getByRole('alert').innerText()).toContain('The sign-in window was closed before the end.');
  expect(await frame.getByRole('button', { name: 'Continue with oidc' }).isEnabled()).toBe(true);
  expect((await events(page)).map((e) => e.type)).toEqual(['ready', 'settings_changed', 'error']);
  await context.close();
});

test('a session that expires while the UI is open: the popup’s error reaches the UI, and the popup closes', async () => {
  const { token } = await connectLink(t, { end_user: { id: 'ui-oauth-expired' }, allowed_integrations: ['oidc'] });
  const { context } = await loopbackContext(browser);
  const page = await context.newPage();
  const frame = await openConnectUI(page, token);
  // The form is whole (the provider's details loaded) before the session expires under it.
  await frame.getByRole('button', { name: 'Continue with oidc' }).waitFor();
  await database().query("UPDATE connect_sessions SET expires_at = now() - interval '1 minute' WHERE expires_at > now()");
  const popupOpened = context.waitForEvent('page');
  await frame.getByRole('button', { name: 'Continue with oidc' }).click();
  const popup = await popupOpened;
  const popupClosed = new Promise((resolve) => popup.once('close', resolve));
  await frame.getByRole('alert').waitFor();
  expect(await frame.getByRole('alert').innerText()).toMatch(/This link has expired or is not valid\.[\s\S]*unknown_connect_session_token/);
  // An error page would otherwise stay open (the success page closes by itself).
  await popupClosed;
  await frame.getByRole('button', { name: 'Close' }).click();
  await page.waitForSelector('iframe#connect-ui', { state: 'detached' });
  expect((await events(page)).map((e) => e.type)).toEqual(['ready', 'settings_changed', 'error', 'close']);
  await context.close();
});

test('client credentials typed by the end user: a refused secret shows the token endpoint’s answer; the right one connects', async () => {
  const { link } = await connectLink(t, { end_user: { id: 'ui-cc' }, allowed_integrations: ['machine'] });
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  const problems = watchConsole(page);
  await page.goto(link);
  await page.getByRole('heading', { name: 'Connect Machine API' }).waitFor();
  await page.getByLabel('Client ID').fill(server.clients.post.client_id);
  await page.getByLabel('Client secret').fill('not-the-client-secret');
  t.secrets.register('not-the-client-secret');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.getByRole('alert').innerText()).toMatch(/Machine API refused these credentials[\s\S]*did not issue a token for these client credentials: invalid_client[\s\S]*connection_test_failed/);
  await page.getByLabel('Client secret').fill(server.clients.post.client_secret);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await page.getByRole('heading', { name: 'Connected' }).waitFor();
  const [row] = await database().query<{ n: number }>("SELECT count(*)::int AS n FROM connections c JOIN end_users e ON e.id = c.end_user_id WHERE e.end_user_id = 'ui-cc'");
  expect(row.n).toBe(1);
  expect(problems).toEqual([]);
  expect(offLoopback).toEqual([]);
  await context.close();
});
