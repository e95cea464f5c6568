import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchBrowser, loopbackContext } from '../support/browser';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { OAUTH_TEST_PASSWORD, startOAuthServer, type OAuthServer } from '../support/oauth-server';
import { oauthIntegration } from '../lambdas/connections/refresh/refresh-fixtures';

/**
 * The README's quick start, run as written: examples/quickstart/backend.mjs as its own Node process
 * (session route and webhook handler, with the official @nangohq/node), examples/quickstart/frontend.js
 * bundled into a customer page on another origin (the official @nangohq/frontend), an end user going
 * through a real OAuth server's sign-in and consent in the popup. The only change: the stack's port.
 */

const EXAMPLE = path.resolve(__dirname, '../../examples/quickstart');
const README = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
const README_HOST = 'http://127.0.0.1:3003';

let t: TestStack;
let server: OAuthServer;
let browser: Browser;
let backend: ChildProcess;
let backendOutput = '';
let app: http.Server;
let appUrl: string;

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Resolves once something accepts connections on the port (a Node process takes a while to start on a loaded machine). */
async function listening(port: number): Promise<void> {
  for (let waited = 0; ; waited += 100) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.unref();
      socket.once('connect', () => socket.destroy());
    });
    if (open) return;
    if (waited > 60_000) throw new Error(`the example backend did not listen on ${port}: ${backendOutput}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  [t, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  server = await startOAuthServer({ interactive: true, redirectUris: [`${t.baseUrl}/oauth/callback`] });
  t.secrets.register(server.clients.basic.client_secret);
  // The README's step: an integration named `github` (here at the test authorization server).
  await oauthIntegration(t, 'test-oauth', server.tokenUrl, server.clients.basic, { authorization_method: 'header' }, 'openid,read');
  const created = await t.api('/integrations', { method: 'POST', json: { provider: 'test-oauth', unique_key: 'github', credentials: { type: 'OAUTH2', client_id: server.clients.basic.client_id, client_secret: server.clients.basic.client_secret, scopes: 'openid,read' } } });
  expect(created.status).toBe(200);

  // The README's other steps: read the signing key, point webhooks at the backend, start it.
  const signing = await readJson(await t.api('/environment/webhook-signing-key'));
  expect(signing.status).toBe(200);
  const signingKey = signing.body.data.webhook_signing_key as string;
  t.secrets.register(signingKey);
  const backendPort = await freePort();
  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_url: `http://127.0.0.1:${backendPort}/webhooks/latchkey` } })).status).toBe(200);
  backend = spawn(process.execPath, [path.join(EXAMPLE, 'backend.mjs')], {
    env: { ...process.env, PORT: String(backendPort), LATCHKEY_URL: t.baseUrl, LATCHKEY_SECRET_KEY: t.devKey, LATCHKEY_WEBHOOK_SIGNING_KEY: signingKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  backend.stdout!.on('data', (chunk) => (backendOutput += chunk));
  backend.stderr!.on('data', (chunk) => (backendOutput += chunk));
  await listening(backendPort);

  // The customer's frontend: the example bundled as a bundler would, served with a dev-server proxy to the backend.
  const bundle = await build({
    stdin: { contents: fs.readFileSync(path.join(EXAMPLE, 'frontend.js'), 'utf8').replace(README_HOST, t.baseUrl), resolveDir: EXAMPLE, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'customerApp',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  app = http.createServer((req, res) => {
    if (req.url === '/app.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html lang="en"><head><title>Your app</title><script src="/app.js"></script></head><body><button>Connect GitHub</button></body></html>');
    const proxied = http.request({ host: '127.0.0.1', port: backendPort, path: req.url, method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    proxied.on('error', () => res.writeHead(502).end());
    return req.pipe(proxied);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as { port: number }).port}`;
}, 90_000);

afterAll(async () => {
  backend?.kill();
  await Promise.all([browser?.close(), server?.stop(), app && new Promise((resolve) => app.close(resolve))]);
  await t?.stop();
});

test('the README shows the example files as they are', () => {
  for (const file of ['backend.mjs', 'frontend.js']) expect(README).toContain(fs.readFileSync(path.join(EXAMPLE, file), 'utf8').trim());
  expect(fs.readFileSync(path.join(EXAMPLE, 'frontend.js'), 'utf8')).toContain(README_HOST);
});

test('an end user connects through the example: auth() resolves with the connection id and the backend gets the verified webhook', async () => {
  const { context, offLoopback } = await loopbackContext(browser);
  const page = await context.newPage();
  await page.goto(appUrl);
  const popupOpened = context.waitForEvent('page');
  const connected = page.evaluate(() => (globalThis as unknown as { customerApp: { connectGitHub(): Promise<string> } }).customerApp.connectGitHub());
  const popup = await popupOpened;
  await popup.waitForSelector('input[name=login]');
  await popup.fill('input[name=login]', 'alice');
  await popup.fill('input[name=password]', OAUTH_TEST_PASSWORD);
  await Promise.all([popup.waitForSelector('text=Allow access?'), popup.click('button')]);
  await popup.click('button:has-text("Allow")');
  const connectionId = await connected;
  expect(connectionId).toMatch(/^[0-9a-f-]{36}$/);
  expect(offLoopback).toEqual([]);

  await t.stack.eventBridge.idle();
  for (let waited = 0; !backendOutput.includes(`connected ${connectionId}`) && waited < 20_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
  expect(backendOutput).toContain(`connected ${connectionId} for user-42`);
  await context.close();
});
