import { Nango } from '@nangohq/node';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { database } from '../../support/handles';
import { loopbackContext, screenshot, type CustomerApp } from '../../support/browser';
import { readJson, type TestStack } from '../../support/local-stack';
import { OAUTH_TEST_PASSWORD } from '../../support/oauth-server';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { connectSession, startBrowserOAuthWorld, type BrowserOAuthWorld } from './connect-fixtures';

/**
 * The official `@nangohq/frontend` in real Chromium against `npm start`'s stack: a customer page on
 * its own origin calls `auth()` with the SDK's defaults (no websocketsPath), the end user goes
 * through oidc-provider's real sign-in and consent forms in the popup, and the promise settles
 * from the WebSocket relay alone, on success and on every failure.
 */

let t: TestStack;
let browser: Browser;
let app: CustomerApp;
let receiver: WebhookReceiver;
let signingKey: string;

let world: BrowserOAuthWorld;

beforeAll(async () => {
  world = await startBrowserOAuthWorld();
  ({ t, browser, app } = world);
  receiver = new WebhookReceiver();
  await receiver.start();
  const rotated = await readJson(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
  signingKey = rotated.body.data.webhook_signing_key;
  t.secrets.register(signingKey);
  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } })).status).toBe(200);
}, 90_000);

afterAll(async () => {
  await receiver?.stop();
  await world?.stop();
});

interface Settled {
  ok: boolean;
  connectionId?: string;
  providerConfigKey?: string;
  type?: string;
  message?: string;
}

/**
 * Screenshots the page the popup is answered with at `url`: the SDK closes its popup as soon as the
 * socket has the outcome, often before the page paints, so the same answer (headers and all) is
 * replayed into a tab of its own. On a loaded machine the popup may close before its body is read:
 * the screenshot is for a reviewer, not an assertion, so it is then skipped.
 */
function capturePage(popup: Page, url: RegExp, name: string): Promise<void> {
  return popup
    .waitForResponse((r) => url.test(r.url()))
    .then(async (response) => {
      const [body, headers] = [await response.body(), response.headers()];
      const tab = await popup.context().newPage();
      await tab.route(response.url(), (route) => route.fulfill({ status: response.status(), headers, body }));
      await tab.goto(response.url());
      await screenshot(tab, name);
      await tab.close();
    })
    .catch((err: Error) => {
      if (!/has been closed/.test(err.message)) throw err;
    });
}

/** A customer page that has called `auth()`; `settled` is its promise's outcome (bounded: a hang fails the test). */
async function startAuth(token: string, pck: string, options: Record<string, unknown> = {}): Promise<{ context: BrowserContext; page: Page; popup: Page; settled: Promise<Settled>; offLoopback: string[] }> {
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  await page.goto(app.url);
  const popupOpened = context.waitForEvent('page');
  const settled = page.evaluate(
    ({ host, token, pck, options }) => {
      const Nango = (globalThis as unknown as { Nango: new (config: object) => { auth(key: string, options: object): Promise<{ connectionId: string; providerConfigKey: string }> } }).Nango;
      return new Nango({ host, connectSessionToken: token }).auth(pck, options).then(
        (r) => ({ ok: true, connectionId: r.connectionId, providerConfigKey: r.providerConfigKey }),
        (e: { type?: string; message?: string }) => ({ ok: false, type: e.type, message: e.message }),
      );
    },
    { host: t.baseUrl, token, pck, options },
  );
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Settled>((_, reject) => (timer = setTimeout(() => reject(new Error('auth() did not settle within 20 s')), 20_000)));
  const bounded = Promise.race([settled, hang]).finally(() => clearTimeout(timer));
  bounded.catch(() => {});
  return { context, page, popup: await popupOpened, settled: bounded, offLoopback };
}

test('auth() through the real sign-in and consent forms resolves with the new connection id; the signed webhook arrives', async () => {
  const token = await connectSession(t, { end_user: { id: 'browser-user' }, allowed_integrations: ['oidc'] });
  const { context, popup, settled, offLoopback } = await startAuth(token, 'oidc');

  await popup.waitForSelector('input[name=login]');
  await screenshot(popup, 'relay-popup-1-sign-in');
  await popup.fill('input[name=login]', 'alice');
  await popup.fill('input[name=password]', OAUTH_TEST_PASSWORD);
  await Promise.all([popup.waitForURL(/\/interaction\//), popup.click('button')]);
  await popup.waitForSelector('text=Allow access?');
  await screenshot(popup, 'relay-popup-2-consent');
  const atCallback = capturePage(popup, /\/oauth\/callback\?/, 'relay-popup-3-connected');
  await popup.click('button:has-text("Allow")');

  const outcome = await settled;
  await atCallback;
  const [row] = await database().query<{ connection_id: string }>("SELECT c.connection_id FROM connections c JOIN end_users e ON e.id = c.end_user_id WHERE e.end_user_id = 'browser-user'");
  expect(outcome).toEqual({ ok: true, connectionId: row.connection_id, providerConfigKey: 'oidc' });
  expect(offLoopback).toEqual([]);

  await t.stack.eventBridge.idle();
  const hook = receiver.requests.find((r) => JSON.parse(r.body).connectionId === row.connection_id);
  expect(hook).toBeDefined();
  expect(JSON.parse(hook!.body)).toMatchObject({ type: 'auth', operation: 'creation', success: true, providerConfigKey: 'oidc', endUser: { endUserId: 'browser-user' } });
  const verifier = new Nango({ secretKey: t.devKey, host: t.baseUrl, webhookSigningKey: signingKey });
  expect(verifier.verifyIncomingWebhookRequest(hook!.body, hook!.headers as Record<string, string>)).toBe(true);
  await context.close();
});

test('the popup closed early, with detectClosedAuthWindow: auth() rejects window_closed', async () => {
  const token = await connectSession(t);
  const { context, popup, settled } = await startAuth(token, 'oidc', { detectClosedAuthWindow: true });
  await popup.waitForSelector('input[name=login]');
  await popup.close();
  expect(await settled).toMatchObject({ ok: false, type: 'window_closed' });
  await context.close();
});

test.each([
  ['an integration the session does not allow', 'integration_not_allowed', 'other', () => connectSession(t, { end_user: { id: 'u' }, allowed_integrations: ['oidc'] })],
  [
    'an expired session',
    'unknown_connect_session_token',
    'oidc',
    async () => {
      const token = await connectSession(t);
      await database().query("UPDATE connect_sessions SET expires_at = now() - interval '1 minute' WHERE expires_at > now()");
      return token;
    },
  ],
])('%s: auth() rejects with a clear AuthError (%s), the popup shows it', async (_name, errorType, pck, session) => {
  const { context, popup, settled } = await startAuth(await session(), pck);
  const shown = capturePage(popup, /\/oauth\/connect\//, `relay-popup-error-${errorType}`);
  const outcome = await settled;
  expect(outcome).toMatchObject({ ok: false, type: errorType, message: expect.stringMatching(/\w{10,}/) });
  await shown;
  await context.close();
});
