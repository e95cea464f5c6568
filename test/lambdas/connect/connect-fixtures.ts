import { database } from '../../support/handles';
import { HttpBrowser, type Page } from '../../support/http-browser';
import type { Browser } from 'playwright-core';
import { launchBrowser, startCustomerApp, type CustomerApp } from '../../support/browser';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { OAUTH_TEST_PASSWORD, startOAuthServer, type OAuthServer, type TestClient } from '../../support/oauth-server';
import { oauthIntegration } from '../connections/refresh/refresh-fixtures';

/** Shared setup of the connect-flow tests. */

/** PUT a custom OAUTH2 provider at the test authorization server and POST an integration of it. */
export async function oidcIntegration(t: TestStack, key: string, server: OAuthServer, client: TestClient, extra: Record<string, unknown> = {}, scopes = 'openid,read') {
  const authorization_method = client.token_endpoint_auth_method === 'client_secret_basic' ? 'header' : 'body';
  await oauthIntegration(t, key, server.tokenUrl, client, { authorization_method, ...extra }, scopes);
}

/** A connect session token of the dev environment (or the key's). */
export async function connectSession(t: TestStack, body: Record<string, unknown> = { end_user: { id: 'user-1', email: 'one@example.com' } }, key?: string): Promise<string> {
  const { status, body: out } = await readJson(await t.api('/connect/sessions', { method: 'POST', json: body, key }));
  if (status !== 201) throw new Error(`POST /connect/sessions: ${status} ${JSON.stringify(out)}`);
  t.secrets.register(out.data.token);
  return out.data.token as string;
}

export function connectUrl(t: TestStack, pck: string, token: string, extra = ''): string {
  return `${t.baseUrl}/oauth/connect/${pck}?connect_session_token=${token}${extra}`;
}

/** The end user's whole journey: authorize, sign in, allow; ends on our callback page. */
export async function authorizeInBrowser(browser: HttpBrowser, url: string, login = 'alice'): Promise<Page> {
  const signIn = await browser.open(url);
  if (!signIn.html.includes('Sign in')) return signIn;
  const consent = await browser.submit(signIn, '/login', { login, password: OAUTH_TEST_PASSWORD });
  if (!consent.html.includes('Allow access')) return consent;
  return browser.submit(consent, '/confirm');
}

/** Like authorizeInBrowser, but stops before our callback and returns its URL (code and state). */
export async function authorizeUntilCallback(browser: HttpBrowser, t: TestStack, url: string): Promise<URL> {
  const atCallback = (u: URL) => u.href.startsWith(`${t.baseUrl}/oauth/callback`);
  let page = await browser.open(url, atCallback);
  if (!page.html) return new URL(page.url);
  page = await browser.submit(page, '/login', { login: 'alice', password: OAUTH_TEST_PASSWORD }, atCallback);
  if (!page.html) return new URL(page.url);
  page = await browser.submit(page, '/confirm', {}, atCallback);
  if (page.html) throw new Error(`Authorization did not reach the callback: ${page.status} ${page.html.slice(0, 200)}`);
  return new URL(page.url);
}

export async function tableCount(table: 'connections' | 'oauth_sessions' | 'outbox'): Promise<number> {
  const [row] = await database().query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}

export interface OutboxRow {
  id: string;
  event_type: string;
  payload: Record<string, unknown>;
  connection_id: string | null;
}

export async function outboxRows(): Promise<OutboxRow[]> {
  return database().query<OutboxRow>('SELECT id, event_type, payload, connection_id FROM outbox ORDER BY created_at, id');
}

/** A stack and an interactive OAuth server (a person logs in) whose client secret is registered as a secret. */
export interface OAuthWorld {
  t: TestStack;
  server: OAuthServer;
  stop(): Promise<void>;
}

/** Starts an OAuthWorld with one integration of the server's `basic` client per key, each with its provider's extra fields. */
export async function startOAuthWorld(integrations: Record<string, Record<string, unknown>>): Promise<OAuthWorld> {
  const t = await startTestStack();
  const server = await startOAuthServer({ interactive: true, redirectUris: [`${t.baseUrl}/oauth/callback`] });
  t.secrets.register(server.clients.basic.client_secret);
  for (const [key, extra] of Object.entries(integrations)) await oidcIntegration(t, key, server, server.clients.basic, extra);
  return {
    t,
    server,
    stop: async () => {
      await server.stop();
      await t.stop();
    },
  };
}

/** An OAuthWorld with integrations `oidc` and `other`, Chromium, and a customer page with the real frontend SDK. */
export interface BrowserOAuthWorld extends OAuthWorld {
  browser: Browser;
  app: CustomerApp;
}

export async function startBrowserOAuthWorld(): Promise<BrowserOAuthWorld> {
  const [world, browser, app] = await Promise.all([startOAuthWorld({ oidc: {}, other: {} }), launchBrowser(), startCustomerApp()]);
  return {
    ...world,
    browser,
    app,
    stop: async () => {
      await Promise.all([browser.close(), app.stop()]);
      await world.stop();
    },
  };
}
