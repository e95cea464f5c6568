import dns from 'node:dns';
import {
  assertPublicUrl,
  isLocalHostname,
  NetworkPolicyError,
  pinnedLookup,
  type ResolvedAddress,
} from '../../../../lambdas/platform/net/network-policy';

/**
 * What a refusal says (reason, exact message, error name — callers show the message and logs the
 * name), local names in any spelling, and the pinned lookup's answers. No test here connects anywhere.
 */

async function refusal(promise: Promise<unknown>): Promise<NetworkPolicyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NetworkPolicyError);
  return error as NetworkPolicyError;
}

const resolveTo =
  (...addresses: string[]) =>
  async (): Promise<ResolvedAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('refusals', () => {
  const resolveToPrivate = resolveTo('10.0.0.1');
  const resolveToNothing = resolveTo();
  const resolverFails = () => Promise.reject(new Error('getaddrinfo ENOTFOUND'));
  test.each([
    { label: 'not a URL', url: 'not a url', options: {}, reason: 'invalid_url', message: 'Not a valid URL' },
    { label: 'http', url: 'http://8.8.8.8/', options: {}, reason: 'scheme_not_allowed', message: 'Scheme http is not allowed; use https' },
    { label: 'ftp even with allowHttp', url: 'ftp://8.8.8.8/', options: { allowHttp: true }, reason: 'scheme_not_allowed', message: 'Scheme ftp is not allowed; use https' },
    { label: 'a user name alone', url: 'https://user@8.8.8.8/', options: {}, reason: 'credentials_in_url', message: 'URLs must not contain credentials' },
    { label: 'a password alone', url: 'https://:secret@8.8.8.8/', options: {}, reason: 'credentials_in_url', message: 'URLs must not contain credentials' },
    { label: 'localhost', url: 'https://localhost/', options: {}, reason: 'private_address', message: 'Host localhost is not a public address' },
    { label: 'an IPv6 loopback literal', url: 'https://[::1]/', options: {}, reason: 'private_address', message: 'Host ::1 resolves to a non-public address' },
    { label: 'a name with a private answer', url: 'https://api.example.test/', options: { resolve: resolveToPrivate }, reason: 'private_address', message: 'Host api.example.test resolves to a non-public address' },
    { label: 'a name with no answer', url: 'https://api.example.test/', options: { resolve: resolveToNothing }, reason: 'unresolvable', message: 'Host api.example.test could not be resolved' },
    { label: 'a name the resolver fails on', url: 'https://api.example.test/', options: { resolve: resolverFails }, reason: 'unresolvable', message: 'Host api.example.test could not be resolved' },
  ])('$label: $reason, "$message"', async ({ url, options, reason, message }) => {
    const error = await refusal(assertPublicUrl(url, options));
    expect({ name: error.name, reason: error.reason, message: error.message }).toEqual({ name: 'NetworkPolicyError', reason, message });
    expect(String(error)).toBe(`NetworkPolicyError: ${message}`);
  });

  test('an IPv6 literal is checked as an address, without DNS, in any spelling the URL parser accepts', async () => {
    const resolve = jest.fn(resolveTo('8.8.8.8'));
    for (const url of ['https://[::1]/', 'https://[fe80::1]/', 'https://[0:0:0:0:0:ffff:7f00:1]/']) {
      expect((await refusal(assertPublicUrl(url, { resolve }))).reason).toBe('private_address');
    }
    await expect(assertPublicUrl('https://[2606:4700::1]:8443/x', { resolve })).resolves.toMatchObject({ addresses: [{ address: '2606:4700::1', family: 6 }] });
    expect(resolve).not.toHaveBeenCalled();
  });
});

describe('isLocalHostname', () => {
  test.each(['localhost', 'LOCALHOST', 'LocalHost.', 'api.localhost', 'a.b.Localhost', 'x.localhost.'])('%s is local', (name) => {
    expect(isLocalHostname(name)).toBe(true);
  });

  test.each(['localhost.example.com', 'notlocalhost', 'localhost-api.com', 'mylocalhost', 'localhost..', 'example.com', ''])('%s is not', (name) => {
    expect(isLocalHostname(name)).toBe(false);
  });
});

describe('the system resolver', () => {
  const realLookup = dns.promises.lookup;
  afterEach(() => {
    dns.promises.lookup = realLookup;
  });

  test('answers keep their family, IPv6 and IPv4 alike', async () => {
    // The system resolver (getaddrinfo), answering for a name of its own; nothing connects.
    const asked: unknown[] = [];
    dns.promises.lookup = (async (hostname: string, options: unknown) => {
      asked.push([hostname, options]);
      return [
        { address: '2606:4700::1111', family: 6 },
        { address: '1.1.1.1', family: 4 },
      ];
    }) as unknown as typeof dns.promises.lookup;
    await expect(assertPublicUrl('https://dual-stack.test/')).resolves.toMatchObject({
      addresses: [
        { address: '2606:4700::1111', family: 6 },
        { address: '1.1.1.1', family: 4 },
      ],
    });
    expect(asked).toEqual([['dual-stack.test', expect.objectContaining({ all: true })]]);
  });
});

describe('pinnedLookup', () => {
  const v4: ResolvedAddress = { address: '8.8.8.8', family: 4 };
  const v6: ResolvedAddress = { address: '2606:4700::1', family: 6 };

  test('answers a one-address lookup with the first checked address of the wanted family', () => {
    const lookup = pinnedLookup([v4, { address: '8.8.4.4', family: 4 }, v6]);
    const any = jest.fn();
    lookup('x', {}, any);
    expect(any).toHaveBeenCalledWith(null, '8.8.8.8', 4);
    const four = jest.fn();
    lookup('x', { family: 4 }, four);
    expect(four).toHaveBeenCalledWith(null, '8.8.8.8', 4);
  });

  test('a family with no checked address falls back to the checked ones, never to DNS', () => {
    const onlyV4 = pinnedLookup([v4]);
    const one = jest.fn();
    onlyV4('x', { family: 6 }, one);
    expect(one).toHaveBeenCalledWith(null, '8.8.8.8', 4);
    const all = jest.fn();
    onlyV4('x', { family: 6, all: true }, all);
    expect(all).toHaveBeenCalledWith(null, [v4]);
  });

  test('all: true answers copies, in order, so a caller cannot change the pinned list', () => {
    const lookup = pinnedLookup([v6, v4]);
    const first = jest.fn();
    lookup('x', { all: true }, first);
    expect(first).toHaveBeenCalledWith(null, [v6, v4]);
    (first.mock.calls[0][1] as ResolvedAddress[])[0].address = '10.0.0.1';
    const second = jest.fn();
    lookup('x', { all: true }, second);
    expect(second).toHaveBeenCalledWith(null, [{ address: '2606:4700::1', family: 6 }, v4]);
  });

  test('an empty list is a programming error, said so', () => {
    expect(() => pinnedLookup([])).toThrow(new Error('pinnedLookup needs at least one address'));
  });
});
