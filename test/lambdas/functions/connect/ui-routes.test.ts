import { createHash } from 'node:crypto';
import { siGithub } from 'simple-icons';
import { readJson, startTestStack, type TestStack } from '../../../support/local-stack';
import { connectSession } from '../../connect/connect-fixtures';

/** The Connect UI's page, its assets and the integrations' logos, as the connect function serves them. */

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
}, 60_000);
afterAll(async () => {
  await t?.stop();
});

const assetUrls = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+\/connect\/assets\/[^"]+)" integrity="([^"]+)"/g)].map((m) => ({ url: m[1], integrity: m[2] }));

describe('GET /connect', () => {
  test.each(['/connect', '/connect/'])('%s answers the page with a strict policy, never cached', async (path) => {
    const res = await fetch(`${t.baseUrl}${path}?session_token=nango_connect_session_x&apiURL=https://evil.example&theme=dark&lang=fr`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBeNull();
    const html = await res.text();
    const [style, script] = assetUrls(html);
    const csp = Object.fromEntries(res.headers.get('content-security-policy')!.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(csp).toEqual({
      'default-src': "'none'",
      'script-src': script.url,
      'style-src': style.url,
      'img-src': `${t.baseUrl}/images/template-logos/`,
      'connect-src': `${t.baseUrl}/ ${t.baseUrl.replace(/^http/, 'ws')}`,
      'base-uri': "'none'",
      'form-action': "'none'",
      'frame-ancestors': "'self' https: http://localhost:* http://127.0.0.1:*",
    });
    // The server names the API; nothing of the query is echoed (neither the token nor another apiURL).
    expect(html).toContain(`{"apiBase":"${t.baseUrl}"}`);
    expect(html).not.toContain('evil.example');
    expect(html).not.toContain('nango_connect_session_x');
    // One script element runs: ours, by URL (the other is a JSON data block).
    expect(html.match(/<script/g)).toHaveLength(2);
    expect(html).not.toMatch(/<script>/);
  });

  test('an overlong query value is a 400 in the error envelope', async () => {
    const { status, body } = await readJson(await fetch(`${t.baseUrl}/connect?lang=${'x'.repeat(3000)}`));
    expect(status).toBe(400);
    expect(body.error.code).toBe('invalid_query_params');
  });
});

describe('GET /connect/assets/{file}', () => {
  test('the page’s script and stylesheet: typed, integrity-checked, cached for good', async () => {
    const html = await (await fetch(`${t.baseUrl}/connect`)).text();
    const assets = assetUrls(html);
    expect(assets.map((a) => a.url)).toEqual([expect.stringMatching(/\/app-[A-Z0-9]+\.css$/), expect.stringMatching(/\/app-[A-Z0-9]+\.js$/)]);
    for (const { url, integrity } of assets) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(url.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const body = Buffer.from(await res.arrayBuffer());
      expect(`sha384-${createHash('sha384').update(body).digest('base64')}`).toBe(integrity);
    }
  });

  test.each(['app.js', 'manifest.json', '..%2Fmanifest.json', '..%2F..%2Fui-routes.ts', 'app-XXXX.js'])('%s is a 404 in the error envelope', async (file) => {
    const { status, body } = await readJson(await fetch(`${t.baseUrl}/connect/assets/${file}`));
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });
});

describe('GET /images/template-logos/{file}', () => {
  test('a catalog brand: its simple-icons icon, as an inert SVG', async () => {
    const res = await fetch(`${t.baseUrl}/images/template-logos/github.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; sandbox");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const svg = await res.text();
    expect(svg).toContain(siGithub.path);
    expect(svg).toContain(`fill="#${siGithub.hex}"`);
  });

  test('a provider without a brand icon gets a monogram of its name', async () => {
    const svg = await (await fetch(`${t.baseUrl}/images/template-logos/my-crm.svg`)).text();
    expect(svg).toMatch(/^<svg [^>]*aria-label="MC"/);
    expect(svg).toContain('>MC</text>');
    expect(await (await fetch(`${t.baseUrl}/images/template-logos/twilio.svg`)).text()).toContain('>TW</text>');
  });

  test.each(['github.png', '%3Cscript%3E.svg', '.svg', '-x.svg', `${'a'.repeat(101)}.svg`])('%s is a 404', async (file) => {
    const { status, body } = await readJson(await fetch(`${t.baseUrl}/images/template-logos/${file}`));
    expect(status).toBe(404);
    expect(body.error.code).toBe('not_found');
  });

  test('every integration’s logo URL answers an image', async () => {
    await t.api('/integrations', { method: 'POST', json: { provider: 'github', unique_key: 'gh', credentials: { type: 'OAUTH2', client_id: 'id', client_secret: 'secret' } } });
    await t.api('/integrations', { method: 'POST', json: { provider: 'twilio', unique_key: 'tw' } });
    const token = await connectSession(t);
    const { body } = await readJson(await fetch(`${t.baseUrl}/integrations`, { headers: { authorization: `Bearer ${token}` } }));
    expect(body.data.length).toBeGreaterThanOrEqual(2);
    for (const integration of body.data) {
      const res = await fetch(integration.logo);
      expect([integration.logo, res.status, res.headers.get('content-type')]).toEqual([integration.logo, 200, 'image/svg+xml']);
    }
  });
});
