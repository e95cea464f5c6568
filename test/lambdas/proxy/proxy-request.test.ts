import fc from 'fast-check';
import { chooseBase, forwardedHeaders, returnedHeaders, upstreamUrl } from '../../../lambdas/proxy/proxy-request';

/** The upstream URL keeps the provider's origin whatever the caller's path; what goes up and comes back. */

const BASE = 'https://api.provider.example/v2';

test('an endpoint is a path below the base, never another host (fast-check)', () => {
  const base = chooseBase(BASE, undefined, [], false);
  fc.assert(
    fc.property(fc.string(), (endpoint) => {
      const url = upstreamUrl(base, endpoint, [], []);
      return url.origin === 'https://api.provider.example' && url.pathname.startsWith('/');
    }),
  );
  for (const endpoint of ['//evil.example/x', '/@evil.example', '\\\\evil.example', '/..%2f..%2fetc', '/%2e%2e/admin']) {
    expect(upstreamUrl(base, endpoint, [], []).origin).toBe('https://api.provider.example');
  }
  expect(upstreamUrl(base, '/items/1', [['a', '1']], [['key', 'k']]).href).toBe('https://api.provider.example/v2/items/1?a=1&key=k');
});

test('the injected query wins over a caller\'s parameter of the same name', () => {
  expect(upstreamUrl(new URL(BASE), '/x', [['key', 'mine'], ['key', 'again']], [['key', 'secret']]).searchParams.getAll('key')).toEqual(['secret']);
});

test('overrides: the same origin, or a host on allowed_hosts; https only (http for private-network providers)', () => {
  expect(chooseBase(BASE, 'https://api.provider.example/v3', [], false).href).toBe('https://api.provider.example/v3');
  expect(chooseBase(BASE, 'https://eu.acme.example', ['*.acme.example'], false).host).toBe('eu.acme.example');
  for (const override of ['https://evil.example', 'http://api.provider.example', 'https://u:p@api.provider.example', 'https://api.provider.example/?x=1', 'nope', 'https://acme.example']) {
    expect(() => chooseBase(BASE, override, ['*.acme.example'], false)).toThrow(expect.objectContaining({ reason: 'base_url_override_not_allowed' }));
  }
  expect(() => chooseBase(undefined, undefined, [], false)).toThrow(expect.objectContaining({ reason: 'missing_base_url' }));
});

test('up: Nango-Proxy-* without the prefix and the Content-Type; no hop-by-hop, no secret key, no control header', () => {
  expect(
    forwardedHeaders({
      Authorization: 'Bearer our-secret-key',
      'Content-Type': 'application/json',
      'Nango-Proxy-X-Trace': 't-1',
      'nango-proxy-connection': 'close',
      'Nango-Proxy-Host': 'evil.example',
      'Nango-Proxy-Transfer-Encoding': 'chunked',
      'Connection-Id': 'c',
      'Nango-Is-Sync': 'false',
    }),
  ).toEqual({ 'content-type': 'application/json', 'x-trace': 't-1' });
});

test('back: no hop-by-hop, CORS, cookies, authorization, nor a header holding a secret', () => {
  const out = returnedHeaders(
    { 'content-type': 'text/plain', connection: 'keep-alive', 'transfer-encoding': 'chunked', 'set-cookie': ['a=1'], 'access-control-allow-origin': '*', authorization: 'x', 'x-echo': 'Bearer sekrit-token', 'content-encoding': 'gzip', link: '<x>' },
    ['sekrit-token'],
    true,
  );
  expect(out).toEqual({ 'content-type': ['text/plain'], link: ['<x>'] });
});
