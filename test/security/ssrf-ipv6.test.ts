import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertPublicUrl, isBlockedAddress, NetworkPolicyError, type ResolvedAddress } from '../../lambdas/platform/net/network-policy';
import { providerRequest, ProviderHttpError } from '../../lambdas/platform/net/provider-http';

/**
 * Every way IPv6 carries an IPv4 address, decided per range (see the comment in
 * lambdas/platform/net/network-policy.ts): an embedding the network or the host stack would
 * translate to a private IPv4 target is refused before any connection, whatever DNS answers.
 */

/** 127.0.0.1, 169.254.169.254 (cloud metadata), 10.0.0.1 and 8.8.8.8 as two hex groups. */
const V4: Record<'loopback' | 'metadata' | 'private' | 'public', [string, string]> = { loopback: ['7f00', '1'], metadata: ['a9fe', 'a9fe'], private: ['a00', '1'], public: ['808', '808'] };
type Target = keyof typeof V4;

/** Each embedding, and whether it is refused for a public IPv4 address too. */
const EMBEDDINGS: Array<{ name: string; form: (hi: string, lo: string) => string; refusedWhenPublic: boolean }> = [
  { name: 'IPv4-mapped ::ffff:0:0/96', form: (hi, lo) => `::ffff:${hi}:${lo}`, refusedWhenPublic: true },
  { name: 'IPv4-translated ::ffff:0:0:0/96 (SIIT)', form: (hi, lo) => `::ffff:0:${hi}:${lo}`, refusedWhenPublic: true },
  { name: 'IPv4-compatible ::/96', form: (hi, lo) => `::${hi}:${lo}`, refusedWhenPublic: true },
  { name: 'NAT64 well-known 64:ff9b::/96', form: (hi, lo) => `64:ff9b::${hi}:${lo}`, refusedWhenPublic: false },
  { name: 'NAT64 local-use 64:ff9b:1::/48', form: (hi, lo) => `64:ff9b:1::${hi}:${lo}`, refusedWhenPublic: true },
  { name: '6to4 2002::/16', form: (hi, lo) => `2002:${hi}:${lo}::1`, refusedWhenPublic: false },
  // Teredo: server IPv4 in bits 32–63, the client's IPv4 inverted in the last 32 bits.
  { name: 'Teredo 2001::/32 (server)', form: (hi, lo) => `2001:0:${hi}:${lo}::1`, refusedWhenPublic: true },
  { name: 'Teredo 2001::/32 (client)', form: (hi, lo) => `2001:0:4136:e378:8000:63bf:${(0xffff ^ parseInt(hi, 16)).toString(16)}:${(0xffff ^ parseInt(lo, 16)).toString(16)}`, refusedWhenPublic: true },
  // ISATAP outside 2000::/3 (here ::/64) is no public address at all.
  { name: 'ISATAP under a non-global prefix', form: (hi, lo) => `::5efe:${hi}:${lo}`, refusedWhenPublic: true },
];

describe.each(EMBEDDINGS)('$name', ({ form, refusedWhenPublic }) => {
  test.each(['loopback', 'metadata', 'private'] as Target[])('of the %s IPv4 address is refused', (target) => {
    expect(isBlockedAddress(form(...V4[target]))).toBe(true);
  });
  test(`of a public IPv4 address is ${refusedWhenPublic ? 'refused (the whole range)' : 'allowed (the embedded address decides)'}`, () => {
    expect(isBlockedAddress(form(...V4.public))).toBe(refusedWhenPublic);
  });
});

describe('dotted and zoned spellings decide the same', () => {
  test.each([
    ['::ffff:127.0.0.1', true],
    ['::ffff:0:127.0.0.1', true],
    ['::ffff:0:169.254.169.254', true],
    ['::127.0.0.1', true],
    ['64:ff9b::169.254.169.254', true],
    ['64:ff9b::8.8.8.8', false],
    ['0:0:0:0:ffff:0:7f00:1', true],
    ['fe80::1%eth0', true],
  ])('%s → blocked %s', (address, blocked) => {
    expect(isBlockedAddress(address)).toBe(blocked);
  });

  test('ISATAP under a global prefix is routed by its prefix: allowed', () => {
    expect(isBlockedAddress('2001:4860:1::5efe:a00:1')).toBe(false);
  });
});

describe('refused before any connection', () => {
  let server: http.Server;
  let port: number;
  let connections = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.end('reached'));
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const loopbackForms = EMBEDDINGS.map((e) => [e.name, e.form(...V4.loopback)] as const);
  const resolveTo = (address: string) => async (): Promise<ResolvedAddress[]> => [{ address, family: 6 }];

  test.each(loopbackForms)('a host resolving to the %s form of 127.0.0.1 (%s)', async (_name, address) => {
    connections = 0;
    const policy = await assertPublicUrl(`https://api.example.test:${port}/`, { resolve: resolveTo(address) }).then(
      () => 'allowed',
      (err: unknown) => (err instanceof NetworkPolicyError ? err.reason : String(err)),
    );
    expect(policy).toBe('private_address');
    const outcome = await providerRequest({ method: 'GET', url: `http://api.example.test:${port}/`, allowHttp: true, resolve: resolveTo(address), timeoutMs: 2_000 }).then(
      () => 'reached',
      (err: unknown) => (err instanceof ProviderHttpError ? err.reason : String(err)),
    );
    expect(outcome).toBe('blocked');
    expect(connections).toBe(0);
  });

  test.each(loopbackForms)('a URL with the %s literal of 127.0.0.1 (%s)', async (_name, address) => {
    connections = 0;
    const outcome = await providerRequest({ method: 'GET', url: `http://[${address}]:${port}/`, allowHttp: true, timeoutMs: 2_000 }).then(
      () => 'reached',
      (err: unknown) => (err instanceof ProviderHttpError ? err.reason : String(err)),
    );
    expect(outcome).toBe('blocked');
    expect(connections).toBe(0);
  });
});
