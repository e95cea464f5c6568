/**
 * Relay section of `npm run bench`: the time from `auth()` to its `success`, on the local stack
 * with a real authorization server (oidc-provider) and its sign-in and consent forms, median of
 * BENCH_RELAY_FLOWS (default 20) warm flows, two ways:
 *   - browser: the real `@nangohq/frontend` in Chromium, the popup's forms filled by playwright,
 *     timed inside the page from the `auth()` call to its resolution;
 *   - no browser: the same flow with a `ws` client as the socket and plain HTTP as the popup.
 * Also the socket's own part: upgrade request → connection_ack (the $connect → async Invoke → post).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { LocalStack } from '../local/stack';
import { benchOAuthIntegration } from './oauth-world';
import { launchBrowser, loopbackContext, startCustomerApp, type CustomerApp } from '../test/support/browser';
import { HttpBrowser } from '../test/support/http-browser';
import { OAUTH_TEST_PASSWORD, startOAuthServer } from '../test/support/oauth-server';
import { RelayClient } from '../test/support/relay-client';

const FLOWS = Number(process.env.BENCH_RELAY_FLOWS ?? 20);
const WARMUP = 2;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.9) - 1)];

/** Drops the JSON lines (logs, metrics) the functions write to stdout until stopped. */
function dropJsonLines(): { stop(): void } {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const kept = String(chunk)
      .split('\n')
      .filter((line) => !line.startsWith('{'))
      .join('\n');
    return kept.trim() ? write(kept, ...(rest as [])) : true;
  }) as typeof process.stdout.write;
  return { stop: () => (process.stdout.write = write) };
}

export async function benchRelay(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  // The functions' JSON logs and metrics would drown the table.
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  const quiet = dropJsonLines();
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const server = await startOAuthServer({ interactive: true, redirectUris: [`${stack.baseUrl}/oauth/callback`] });
  let browser: Browser | undefined;
  let app: CustomerApp | undefined;
  try {
    const { api } = await benchOAuthIntegration(stack, server);
    const session = async (i: number) => ((await (await api('/connect/sessions', { end_user: { id: `relay-${i}` } })).json()) as { data: { token: string } }).data.token;

    // Without a browser: the socket is a ws client, the popup plain HTTP.
    const plain: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < FLOWS + WARMUP; i += 1) {
      const token = await session(i);
      const t0 = performance.now();
      const socket = await RelayClient.open(stack.baseUrl);
      const wsClientId = await socket.ack();
      const acked = performance.now() - t0;
      const http = new HttpBrowser();
      const signIn = await http.open(`${stack.baseUrl}/oauth/connect/bench-oidc?connect_session_token=${token}&ws_client_id=${wsClientId}`);
      const consent = await http.submit(signIn, '/login', { login: 'bench', password: OAUTH_TEST_PASSWORD });
      await http.submit(consent, '/confirm');
      await socket.next('success');
      const total = performance.now() - t0;
      socket.close();
      if (i >= WARMUP) [plain[i - WARMUP], acks[i - WARMUP]] = [total, acked];
    }

    // In Chromium: the real SDK's auth(), the popup's forms filled as a user would.
    [browser, app] = await Promise.all([launchBrowser(), startCustomerApp()]);
    const inBrowser: number[] = [];
    const toPopup: number[] = [];
    const browserAcks: number[] = [];
    const popupOpening: number[] = [];
    const callbackToResolve: number[] = [];
    for (let i = 0; i < FLOWS + WARMUP; i += 1) {
      // A fresh profile each time: the provider must not remember the last sign-in.
      const { context } = await loopbackContext(browser);
      const page = await context.newPage();
      // Notes when the page's first WebSocket message (the ack) arrives.
      await page.addInitScript(() => {
        const Native = WebSocket;
        const g = globalThis as unknown as { WebSocket: unknown; __ackAt?: number; __openedAt?: number };
        g.WebSocket = class extends Native {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            g.__openedAt ??= Date.now();
            this.addEventListener('message', () => (g.__ackAt ??= Date.now()));
          }
        };
      });
      await page.goto(app.url);
      const token = await session(FLOWS + WARMUP + i);
      const popupOpened = context.waitForEvent('page');
      // Epoch milliseconds on both sides (one machine, one clock): when the popup was sent to
      // /oauth/connect (after the ack), and when the callback page's answer arrived.
      const marks: { authorize?: number; callback?: number } = {};
      context.on('request', (r) => void (r.url().includes('/oauth/connect/') && (marks.authorize ??= Date.now())));
      context.on('response', (r) => void (r.url().includes('/oauth/callback') && (marks.callback ??= Date.now())));
      const timed = page.evaluate(
        ({ host, token }) => {
          const Nango = (globalThis as unknown as { Nango: new (c: object) => { auth(k: string): Promise<{ connectionId: string }> } }).Nango;
          const start = Date.now();
          const g = globalThis as unknown as { __ackAt?: number; __openedAt?: number };
          return new Nango({ host, connectSessionToken: token })
            .auth('bench-oidc')
            .then(() => ({ start, end: Date.now(), ackAt: g.__ackAt ?? NaN, openedAt: g.__openedAt ?? NaN }));
        },
        { host: stack.baseUrl, token },
      );
      const popup = await popupOpened;
      await popup.waitForSelector('input[name=login]');
      await popup.fill('input[name=login]', 'bench');
      await popup.fill('input[name=password]', OAUTH_TEST_PASSWORD);
      await popup.click('button');
      await popup.waitForSelector('text=Allow access?');
      await popup.click('button:has-text("Allow")');
      const { start, end, ackAt, openedAt } = await timed;
      if (i >= WARMUP) {
        inBrowser.push(end - start);
        browserAcks.push(ackAt - start);
        popupOpening.push(openedAt - start);
        toPopup.push(marks.authorize! - start);
        callbackToResolve.push(end - marks.callback!);
      }
      await popup.waitForEvent('close').catch(() => undefined);
      await context.close();
    }

    const row = (name: string, xs: number[]) => `${name.padEnd(52)} ${median(xs).toFixed(1).padStart(10)} ${p90(xs).toFixed(1).padStart(10)}`;
    quiet.stop();
    console.log(`${'auth() → success, warm flows'.padEnd(52)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(10)}   (n=${FLOWS} each)`);
    console.log(row('Chromium, @nangohq/frontend, forms filled', inBrowser));
    console.log(row('  auth() → socket created (window.open runs first)', popupOpening));
    console.log(row('  auth() → connection_ack', browserAcks));
    console.log(row('  auth() → popup sent to /oauth/connect', toPopup));
    console.log(row('  callback page answered → auth() resolved (<0: before)', callbackToResolve));
    console.log(row('no browser (ws client + HTTP), same flow', plain));
    console.log(row('  upgrade → connection_ack', acks));
  } finally {
    quiet.stop();
    await Promise.all([browser?.close(), app?.stop()]);
    await server.stop();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
