import { createHash, createHmac } from 'node:crypto';

/**
 * Nango's two webhook signature headers over the exact body bytes (docs/nango-wire.md §4.2):
 * `X-Nango-Hmac-Sha256` = hex(HMAC-SHA256(key, body)), the one to verify; `X-Nango-Signature` =
 * hex(SHA-256(key + body)), legacy and length-extension-prone, sent only for old receivers.
 */
export function signatureHeaders(signingKey: string, body: string): Record<string, string> {
  return {
    'X-Nango-Signature': createHash('sha256').update(`${signingKey}${body}`).digest('hex'),
    'X-Nango-Hmac-Sha256': createHmac('sha256', signingKey).update(body).digest('hex'),
  };
}
