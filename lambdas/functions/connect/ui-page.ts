import type { APIGatewayProxyResult } from 'aws-lambda';
import type { UiAssets } from './ui-assets';

/**
 * The Connect UI's HTML: an empty shell that loads our one script and stylesheet, and tells the
 * script which API to talk to. The API base is the server's own (never the `apiURL` of the query),
 * so the session token can only ever be sent to this deployment.
 */

/**
 * Who may frame the page: any https page, and plain-http pages on loopback (an app in development),
 * because `nango.openConnectUI()` runs inside every customer's app. Framing grants nothing: the page
 * holds no cookie or ambient credential; it works only with the session token the framing page
 * itself hands over (or one in the link), which is what that page could already use directly.
 * Plain-http origins elsewhere are refused so credential forms are never embedded in a page an
 * on-path attacker could rewrite.
 */
export const FRAME_ANCESTORS = "'self' https: http://localhost:* http://127.0.0.1:*";

/** `websocketUrl`: the deployed WebSocket API (GET /connect/session's websocketsPath); unset, the API's own host. */
export function connectPageCsp(base: string, assets: UiAssets, websocketUrl?: string): string {
  const api = new URL(base);
  const ws = websocketUrl ? new URL(websocketUrl).origin : `${api.protocol === 'https:' ? 'wss' : 'ws'}://${api.host}`;
  return [
    "default-src 'none'",
    `script-src ${base}/connect/assets/${assets.script}`,
    `style-src ${base}/connect/assets/${assets.style}`,
    `img-src ${base}/images/template-logos/`,
    `connect-src ${base}/ ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${FRAME_ANCESTORS}`,
  ].join('; ');
}

export function connectPage(base: string, assets: UiAssets, websocketUrl?: string): APIGatewayProxyResult {
  const config = JSON.stringify({ apiBase: base }).replace(/</g, '\\u003c');
  const asset = (name: string) => `${escapeAttr(`${base}/connect/assets/${name}`)}" integrity="${assets.integrity[name]}" crossorigin="anonymous`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>Connect</title>
<link rel="stylesheet" href="${asset(assets.style)}">
<script type="application/json" id="latchkey-connect">${config}</script>
<script defer src="${asset(assets.script)}"></script>
</head><body><div id="app"></div><noscript><p>This page needs JavaScript.</p></noscript></body></html>`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': connectPageCsp(base, assets, websocketUrl),
      // The link carries the session token in its query: never cached, never sent on as a Referer.
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      // Keeps the opener link to the OAuth popup the page opens, drops the one to whoever opened it.
      'cross-origin-opener-policy': 'same-origin-allow-popups',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    },
    body: html,
  };
}

function escapeAttr(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
