import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import { signatureHeaders } from '../../../lambdas/webhooks/signature';
import { stableStringify } from '../../../lambdas/webhooks/stable-json';
import { webhookBody } from '../../../lambdas/webhooks/deliverer';

describe('stableStringify', () => {
  test('sorts keys at every depth, otherwise JSON.stringify', () => {
    expect(stableStringify({ b: 1, a: { d: [3, { z: 1, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":1}]},"b":1}');
    expect(stableStringify({ u: undefined, f: () => 1, n: NaN, arr: [undefined] })).toBe('{"arr":[null],"n":null}');
    expect(stableStringify('é"\n')).toBe(JSON.stringify('é"\n'));
  });

  test('property: parses back to the same value, and is independent of key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = stableStringify(value);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        const shuffled = JSON.parse(JSON.stringify(value), (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v));
        expect(stableStringify(shuffled)).toBe(text);
      }),
    );
  });

  test('refuses circular structures', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => stableStringify(a)).toThrow('Circular');
  });
});

describe('signatures', () => {
  const key = '0f4e8b8c-5b9e-4f57-9a43-1f0f4a1c2d3e';
  const nango = new Nango({ secretKey: 'a5d6c3a0-0000-4000-8000-000000000000', webhookSigningKey: key });

  test('the real SDK verifies X-Nango-Hmac-Sha256 over the exact bytes, and the legacy X-Nango-Signature', () => {
    const body = webhookBody({ type: 'auth', from: 'nango', connectionId: 'c-1', success: true, tags: { b: '2', a: '1' }, _webhook_url_override: 'https://x.test/' });
    expect(body).toBe('{"connectionId":"c-1","from":"nango","success":true,"tags":{"a":"1","b":"2"},"type":"auth"}');
    const headers = signatureHeaders(key, body);
    expect(nango.verifyIncomingWebhookRequest(body, headers)).toBe(true);
    expect(nango.verifyWebhookSignature(headers['X-Nango-Signature'], JSON.parse(body))).toBe(true);
    // One changed byte, or another key, fails.
    expect(nango.verifyIncomingWebhookRequest(body.replace('c-1', 'c-2'), headers)).toBe(false);
    expect(new Nango({ secretKey: key, webhookSigningKey: 'other' }).verifyIncomingWebhookRequest(body, headers)).toBe(false);
  });
});
