import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import axe from 'axe-core';

/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) for tests of pages,
 * kept to loopback: every background service that would reach the internet is off, and any request
 * a page makes to a host outside 127.0.0.0/8 or ::1 is aborted and recorded.
 */

const CHROMIUM = process.env.LATCHKEY_CHROMIUM ?? '/usr/bin/chromium';
const REPO_ROOT = path.resolve(__dirname, '../..');
/** Screenshots land here (git-ignored) for a reviewer to look at. */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'artifacts');

const FLAGS = [
  '--no-sandbox', // root in CI containers
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--metrics-recording-only',
  '--no-pings',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export interface LoopbackContext {
  context: BrowserContext;
  /** URLs a page tried to reach outside loopback (the test should expect none). */
  offLoopback: string[];
}

/** A fresh profile whose pages can reach loopback only. */
export async function loopbackContext(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<LoopbackContext> {
  const context = await browser.newContext(options);
  const offLoopback: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopbackUrl(url)) return route.continue();
    offLoopback.push(url);
    return route.abort('blockedbyclient');
  });
  return { context, offLoopback };
}

export function isLoopbackUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'data:' || parsed.protocol === 'blob:' || parsed.protocol === 'about:') return true;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/** axe-core's serious and critical violations on the page as it is now (injected over DevTools, so a strict CSP does not block it). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axe.source);
  // Runs in the page: its globals, typed here without the DOM library.
  const results = await page.evaluate(async () => {
    const page = globalThis as unknown as { axe: typeof axe; document: axe.ElementContext };
    const r = await page.axe.run(page.document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Writes `artifacts/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS_DIR, 'screenshots', `${name.replace(/[^A-Za-z0-9._-]+/g, '-')}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

let sdkBundle: Promise<string> | undefined;

/** The real `@nangohq/frontend`, bundled as a browser script that sets `window.Nango`. */
export function nangoFrontendBundle(): Promise<string> {
  sdkBundle ??= build({
    stdin: { contents: "import Nango from '@nangohq/frontend'; window.Nango = Nango;", resolveDir: REPO_ROOT, loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
  }).then((r) => r.outputFiles[0].text);
  return sdkBundle;
}

export interface CustomerApp {
  /** The app's origin, e.g. http://127.0.0.1:41234 (another origin than the API's, as in production). */
  url: string;
  stop(): Promise<void>;
}

/**
 * A customer's web page on its own loopback origin: `/` is `html`, `/nango.js` the frontend SDK.
 * Tests drive the SDK from the page with `page.evaluate`.
 */
export async function startCustomerApp(html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer app</title><script src="/nango.js"></script></head><body><main><h1>Customer app</h1></main></body></html>'): Promise<CustomerApp> {
  const sdk = await nangoFrontendBundle();
  const server = http.createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname === '/nango.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return res.end(sdk);
    }
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(html);
    }
    return res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
