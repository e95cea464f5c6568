import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  assertPublicUrl,
  isBlockedAddress,
  NetworkPolicyError,
  pinnedLookup,
  type ResolvedAddress,
} from '../../../../lambdas/platform/net/network-policy';

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(NetworkPolicyError);
    return (err as NetworkPolicyError).reason;
  }
  return 'allowed';
}

const resolveTo = (...addresses: string[]) => async (): Promise<ResolvedAddress[]> =>
  addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('isBlockedAddress', () => {
  test.each([
    ['0.0.0.0', 'this network'], ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private 10/8'], ['10.255.255.255', 'private 10/8'],
    ['100.64.0.1', 'CGNAT'], ['100.127.255.254', 'CGNAT'],
    ['127.0.0.1', 'loopback'], ['127.255.0.1', 'loopback'],
    ['169.254.169.254', 'cloud metadata'], ['169.254.0.1', 'link-local'],
    ['172.16.0.1', 'private 172.16/12'], ['172.31.255.255', 'private 172.16/12'],
    ['192.168.1.1', 'private 192.168/16'],
    ['192.0.0.1', 'IETF'], ['192.0.2.1', 'TEST-NET-1'], ['198.18.0.1', 'benchmark'], ['198.51.100.7', 'TEST-NET-2'], ['203.0.113.9', 'TEST-NET-3'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['240.0.0.1', 'reserved'], ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'IPv4-mapped'], ['::ffff:8.8.8.8', 'IPv4-mapped, even public'],
    ['::ffff:7f00:1', 'IPv4-mapped, hex'], ['::127.0.0.1', 'IPv4-compatible'],
    ['fc00::1', 'unique local'], ['fd00:ec2::254', 'EC2 metadata over IPv6'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local with zone'],
    ['fec0::1', 'site-local'], ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'], ['100::1', 'discard'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of 169.254.169.254'], ['64:ff9b:1::1', 'local NAT64'], ['2002:a00:1::1', '6to4 of 10.0.0.1'], ['2001::1', 'Teredo'],
  ])('%s is blocked (%s)', (address) => expect(isBlockedAddress(address)).toBe(true));

  test.each([['8.8.8.8'], ['1.1.1.1'], ['172.32.0.1'], ['100.128.0.1'], ['169.255.0.1'], ['2606:4700:4700::1111'], ['2001:4860:4860::8888'], ['64:ff9b::808:808'], ['2002:808:808::1']])(
    '%s is public',
    (address) => expect(isBlockedAddress(address)).toBe(false),
  );

  test('names are not addresses', () => expect(isBlockedAddress('localhost')).toBe(false));
});

describe('assertPublicUrl', () => {
  test('a public IP literal passes and is returned for pinning, without DNS', async () => {
    const resolve = jest.fn();
    await expect(assertPublicUrl('https://8.8.8.8/x', { resolve })).resolves.toMatchObject({ addresses: [{ address: '8.8.8.8', family: 4 }] });
    await expect(assertPublicUrl('https://[2606:4700:4700::1111]/x', { resolve })).resolves.toMatchObject({ addresses: [{ address: '2606:4700:4700::1111', family: 6 }] });
    expect(resolve).not.toHaveBeenCalled();
  });

  test.each([
    'https://127.0.0.1/', 'https://169.254.169.254/latest/meta-data/', 'https://10.1.2.3/', 'https://100.64.1.1/', 'https://0.0.0.0/',
    'https://[::1]/', 'https://[::ffff:127.0.0.1]/', 'https://[fd00:ec2::254]/', 'https://[fe80::1]/', 'https://224.0.0.1/',
    // Numeric host spellings that the URL parser turns into loopback or metadata addresses.
    'https://2130706433/', 'https://0x7f.1/', 'https://0177.0.0.1/', 'https://127.1/', 'https://0xa9fea9fe/',
  ])('rejects %s', async (url) => {
    expect(await reason(assertPublicUrl(url))).toBe('private_address');
  });

  test('localhost is rejected before DNS, and through the real resolver', async () => {
    const resolve = jest.fn(resolveTo('8.8.8.8'));
    expect(await reason(assertPublicUrl('https://localhost/', { resolve }))).toBe('private_address');
    expect(await reason(assertPublicUrl('https://api.localhost./', { resolve }))).toBe('private_address');
    expect(resolve).not.toHaveBeenCalled();
    // The system resolver answers localhost from /etc/hosts; allowed with allowPrivateNetwork.
    const { addresses } = await assertPublicUrl('https://localhost:8443/', { allowPrivateNetwork: true });
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.every((a) => isBlockedAddress(a.address))).toBe(true);
  });

  test('a name is rejected if any of its addresses is private (rebinding across answers)', async () => {
    expect(await reason(assertPublicUrl('https://api.example.test/', { resolve: resolveTo('8.8.8.8', '10.0.0.1') }))).toBe('private_address');
    expect(await reason(assertPublicUrl('https://api.example.test/', { resolve: resolveTo('::ffff:169.254.169.254') }))).toBe('private_address');
    await expect(assertPublicUrl('https://api.example.test/', { resolve: resolveTo('8.8.8.8', '2606:4700::1') })).resolves.toMatchObject({
      addresses: [{ address: '8.8.8.8', family: 4 }, { address: '2606:4700::1', family: 6 }],
    });
  });

  test('schemes: https only unless allowHttp', async () => {
    expect(await reason(assertPublicUrl('http://8.8.8.8/'))).toBe('scheme_not_allowed');
    expect(await reason(assertPublicUrl('ftp://8.8.8.8/'))).toBe('scheme_not_allowed');
    expect(await reason(assertPublicUrl('file:///etc/passwd', { allowHttp: true }))).toBe('scheme_not_allowed');
    expect(await reason(assertPublicUrl('http://8.8.8.8/', { allowHttp: true }))).toBe('allowed');
    // allowHttp does not open private ranges, and allowPrivateNetwork does not open http.
    expect(await reason(assertPublicUrl('http://127.0.0.1/', { allowHttp: true }))).toBe('private_address');
    expect(await reason(assertPublicUrl('http://127.0.0.1/', { allowPrivateNetwork: true }))).toBe('scheme_not_allowed');
    expect(await reason(assertPublicUrl('http://127.0.0.1/', { allowPrivateNetwork: true, allowHttp: true }))).toBe('allowed');
  });

  test('invalid URLs, credentials and unresolvable hosts', async () => {
    expect(await reason(assertPublicUrl('not a url'))).toBe('invalid_url');
    expect(await reason(assertPublicUrl('https://user:pw@8.8.8.8/'))).toBe('credentials_in_url');
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(await reason(assertPublicUrl('https://nowhere.invalid/', { resolve: failing }))).toBe('unresolvable');
    expect(await reason(assertPublicUrl('https://nowhere.invalid/', { resolve: resolveTo() }))).toBe('unresolvable');
  });

  test('error messages name the host, never the path or query', async () => {
    await expect(assertPublicUrl('https://127.0.0.1/x?api_key=sk-secret')).rejects.toThrow('Host 127.0.0.1 resolves to a non-public address');
    await assertPublicUrl('http://127.0.0.1/x?api_key=sk-secret').catch((err: Error) => expect(err.message).not.toContain('sk-secret'));
  });
});

describe('pinnedLookup', () => {
  test('connects to the checked address whatever the name', async () => {
    const server = http.createServer((_req, res) => res.end('pinned'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const { addresses } = await assertPublicUrl(`http://localhost:${port}/`, { allowPrivateNetwork: true, allowHttp: true });
      const body = await new Promise<string>((resolve, reject) => {
        // A name that does not resolve anywhere: only the pinned lookup can connect it.
        const req = http.get({ host: 'rebound.invalid', port, path: '/', lookup: pinnedLookup(addresses.filter((a) => a.family === 4)) }, (res) => {
          let data = '';
          res.on('data', (chunk) => (data += chunk));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
      });
      expect(body).toBe('pinned');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('answers all: true lookups and filters by family', () => {
    const lookup = pinnedLookup([{ address: '8.8.8.8', family: 4 }, { address: '2606:4700::1', family: 6 }]);
    const all = jest.fn();
    lookup('x', { all: true }, all);
    expect(all).toHaveBeenCalledWith(null, [{ address: '8.8.8.8', family: 4 }, { address: '2606:4700::1', family: 6 }]);
    const one = jest.fn();
    lookup('x', { family: 6 }, one);
    expect(one).toHaveBeenCalledWith(null, '2606:4700::1', 6);
    expect(() => pinnedLookup([])).toThrow();
  });
});
