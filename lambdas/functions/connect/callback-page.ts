import type { APIGatewayProxyResult } from 'aws-lambda';
import { createHash } from 'node:crypto';

/**
 * The page the OAuth popup ends on (docs/nango-wire.md §3.5): it tells its opener, and any Connect UI
 * listening on the `nango-oauth-callback` BroadcastChannel, how the flow ended, then closes itself
 * on success. The script is a constant, allowed by its hash under a Content-Security-Policy that
 * allows nothing else; the outcome travels in a JSON data block the script reads, so no caller-
 * or provider-supplied text is ever parsed as script or markup.
 */

export interface CallbackOutcome {
  ok: boolean;
  /** Nango's error types: callback_err, state_cookie_err, token_exchange_failed, … */
  errorType?: string;
  /** Shown to the end user; ours, or a provider's error code and description, never a secret. */
  message?: string;
}

const SCRIPT = `(function () {
  var outcome = JSON.parse(document.getElementById('outcome').textContent);
  window.__nangoOAuthError = outcome.ok ? null : { message: outcome.message, errorType: outcome.errorType };
  var message = outcome.ok
    ? { type: 'nango_oauth_callback_success' }
    : { type: 'nango_oauth_callback_error', payload: { message: outcome.message, errorType: outcome.errorType } };
  var channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('nango-oauth-callback') : null;
  function close() { if (channel) channel.close(); window.close(); }
  function onAck(event) { if (event.data && event.data.type === 'nango_oauth_callback_ack') close(); }
  window.addEventListener('message', onAck);
  if (channel) { channel.onmessage = onAck; channel.postMessage(message); }
  if (window.opener) window.opener.postMessage(message, '*');
  if (outcome.ok) setTimeout(close, 500);
})();`;

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;margin:0;display:flex;min-height:100vh;align-items:center;justify-content:center;background:#f8fafc;color:#0f172a}
main{max-width:28rem;padding:2rem;text-align:center}h1{font-size:1.25rem;margin:0 0 .5rem}p{margin:.25rem 0;color:#475569;overflow-wrap:anywhere}code{font-size:.85em}`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Exported for tests: the policy must allow exactly our script and style. */
export const CALLBACK_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function callbackPage(statusCode: number, outcome: CallbackOutcome): APIGatewayProxyResult {
  const data = JSON.stringify(outcome.ok ? { ok: true } : { ok: false, errorType: outcome.errorType ?? 'unknown_err', message: outcome.message ?? '' })
    // Inside <script type="application/json"> only `</script` and HTML comment openers matter; escape every `<`.
    .replace(/</g, '\\u003c');
  const title = outcome.ok ? 'Connected' : 'Connection failed';
  const body = outcome.ok
    ? '<p>You can close this window.</p>'
    : `<p>${escapeHtml(outcome.message ?? 'The connection could not be made.')}</p><p><code>${escapeHtml(outcome.errorType ?? 'unknown_err')}</code></p>`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer">
<title>${title}</title><style>${STYLE}</style></head>
<body><main><h1>${title}</h1>${body}</main>
<script type="application/json" id="outcome">${data}</script>
<script>${SCRIPT}</script></body></html>`;
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CALLBACK_PAGE_CSP,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cross-origin-opener-policy': 'unsafe-none',
    },
    body: html,
  };
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
