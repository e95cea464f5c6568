import type { Browser } from 'playwright-core';
import { isLoopbackUrl, launchBrowser, loopbackContext, seriousAxeViolations, startCustomerApp, type CustomerApp } from '../support/browser';

/** The browser harness itself: Chromium starts, loads the real frontend SDK, and stays on loopback. */
describe('browser harness', () => {
  let browser: Browser;
  let app: CustomerApp;
  beforeAll(async () => {
    [browser, app] = await Promise.all([launchBrowser(), startCustomerApp()]);
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), app?.stop()]);
  });

  it('loads @nangohq/frontend in a page and constructs a client', async () => {
    const { context, offLoopback } = await loopbackContext(browser);
    const page = await context.newPage();
    await page.goto(app.url);
    const kind = await page.evaluate(() => typeof (globalThis as unknown as { Nango: unknown }).Nango);
    expect(kind).toBe('function');
    expect(offLoopback).toEqual([]);
    await context.close();
  });

  it('aborts a request that leaves loopback, before it is sent', async () => {
    const { context, offLoopback } = await loopbackContext(browser);
    const page = await context.newPage();
    await page.goto(app.url);
    // 192.0.2.0/24 is TEST-NET-1; the route handler aborts it before any connection.
    const failed = await page.evaluate(() => fetch('http://192.0.2.1/').then(() => 'sent', () => 'refused'));
    expect(failed).toBe('refused');
    expect(offLoopback).toEqual(['http://192.0.2.1/']);
    await context.close();
  });

  it('reports a serious accessibility violation (an image without alt text)', async () => {
    const { context } = await loopbackContext(browser);
    const page = await context.newPage();
    await page.setContent('<!doctype html><html lang="en"><head><title>t</title></head><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>');
    const violations = await seriousAxeViolations(page);
    expect(violations.map((v) => v.id)).toContain('image-alt');
    await context.close();
  });

  it('knows loopback from the rest', () => {
    expect(['http://127.0.0.1:1/', 'http://localhost/', 'http://[::1]:9/', 'data:text/plain,x'].every(isLoopbackUrl)).toBe(true);
    expect(['http://10.0.0.1/', 'http://169.254.169.254/', 'https://example.com/', 'http://[::ffff:127.0.0.1]/'].some(isLoopbackUrl)).toBe(false);
  });
});
