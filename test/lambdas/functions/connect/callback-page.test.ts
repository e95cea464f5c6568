import { createHash } from 'node:crypto';
import { CALLBACK_PAGE_CSP, callbackPage } from '../../../../lambdas/functions/connect/callback-page';

const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

test('the policy allows exactly the inline script and style the page carries, and nothing else', () => {
  const page = callbackPage(200, { ok: true });
  const script = /<script>([\s\S]*?)<\/script>/.exec(page.body)![1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(page.body)![1];
  expect(CALLBACK_PAGE_CSP).toContain(`script-src ${sha(script)}`);
  expect(CALLBACK_PAGE_CSP).toContain(`style-src ${sha(style)}`);
  expect(CALLBACK_PAGE_CSP).toMatch(/^default-src 'none'/);
  expect(page.headers).toMatchObject({ 'content-security-policy': CALLBACK_PAGE_CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  expect(page.body).toContain("postMessage(message, '*')");
  expect(page.body).toContain("new BroadcastChannel('nango-oauth-callback')");
});

test('provider text cannot break out of the data block or the markup', () => {
  const message = `</script><script>alert(1)</script><img src=x onerror=alert(2)> & "quotes" 'single'`;
  const page = callbackPage(400, { ok: false, errorType: 'callback_err', message });
  const data = /<script type="application\/json" id="outcome">([\s\S]*?)<\/script>/.exec(page.body)![1];
  expect(data).not.toContain('<');
  expect(JSON.parse(data)).toEqual({ ok: false, errorType: 'callback_err', message });
  expect(page.body).not.toContain('<img');
  expect(page.body).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
  // Only our two script elements: the data block and the constant script.
  expect(page.body.match(/<script/g)).toHaveLength(2);
  expect(page.statusCode).toBe(400);
});
