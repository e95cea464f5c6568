import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * SSRF guard for every outbound call we make on a caller's behalf (provider token/proxy calls,
 * webhooks). A URL is allowed only if every address its host resolves to is public, and the caller
 * should then connect to exactly those addresses (see pinnedLookup) so a second DNS answer cannot
 * point somewhere else (DNS rebinding).
 */

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface NetworkPolicyOptions {
  /** Private, loopback and link-local targets allowed (custom providers that opted in). */
  allowPrivateNetwork?: boolean;
  /** http:// allowed besides https://. */
  allowHttp?: boolean;
  /** DNS resolution; defaults to the system resolver (`lookup` with `all: true`). */
  resolve?: Resolver;
}

export interface PublicUrl {
  url: URL;
  addresses: ResolvedAddress[];
}

export type NetworkPolicyReason = 'invalid_url' | 'scheme_not_allowed' | 'credentials_in_url' | 'private_address' | 'unresolvable';

/** Messages name the host, never the full URL (its path or query may hold a key). */
export class NetworkPolicyError extends Error {
  constructor(
    readonly reason: NetworkPolicyReason,
    message: string,
  ) {
    super(message);
    this.name = 'NetworkPolicyError';
  }
}

// Two lists: a BlockList matches IPv4 addresses against IPv4-mapped IPv6 rules (and back), so one
// list with ::ffff:0:0/96 would block every IPv4 address.
const BLOCKED_V4 = new BlockList();
const BLOCKED_V6 = new BlockList();
const BLOCKED_V4_NETWORKS = [
  ['0.0.0.0', 8], // "this network", incl. 0.0.0.0
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. the cloud metadata address 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast
] as const;
for (const [network, prefix] of BLOCKED_V4_NETWORKS) BLOCKED_V4.addSubnet(network, prefix, 'ipv4');

/*
 * IPv6 forms that carry an IPv4 address, decided per range:
 * - refused whole: IPv4-mapped ::ffff:0:0/96, IPv4-translated ::ffff:0:0:0/96 (SIIT), IPv4-compatible
 *   ::/96, local-use NAT64 64:ff9b:1::/48 and Teredo 2001::/32 (in 2001::/23) — no public API answers
 *   with them, and the stack or a translator would reach the embedded IPv4 address directly;
 * - refused when the embedded address is: well-known NAT64 64:ff9b::/96 (what DNS64 synthesizes for
 *   IPv4-only hosts) and 6to4 2002::/16 (the IPv4 address in bits 16–47) — as the IPv4 rules above,
 *   shifted into the IPv6 range;
 * - ISATAP (interface id 0:5efe/200:5efe + IPv4) is routed by its /64 prefix, not by the embedded
 *   address, so only the prefix counts.
 */
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped
  ['::ffff:0:0:0', 96], // IPv4-translated
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 23], // IETF protocol assignments, incl. Teredo
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. fd00:ec2::254 (EC2 metadata over IPv6)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  BLOCKED_V6.addSubnet(network, prefix, 'ipv6');
}
// Public unicast is 2000::/3 (RFC 4291): anything else, bar well-known NAT64, is not a public address.
const GLOBAL_UNICAST = new BlockList();
GLOBAL_UNICAST.addSubnet('2000::', 3, 'ipv6');
GLOBAL_UNICAST.addSubnet('64:ff9b::', 96, 'ipv6');
for (const [network, prefix] of BLOCKED_V4_NETWORKS) {
  const [hi, lo] = ipv4Groups(network);
  BLOCKED_V6.addSubnet(`64:ff9b::${hi}:${lo}`, 96 + prefix, 'ipv6');
  BLOCKED_V6.addSubnet(`2002:${hi}:${lo}::`, 16 + prefix, 'ipv6');
}

/** An IPv4 address as two IPv6 groups (hex), to write embedding rules as IPv6 subnets. */
function ipv4Groups(address: string): [string, string] {
  const [a, b, c, d] = address.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** True when an IP literal is loopback, private, link-local, reserved, etc. Non-IPs are false. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED_V4.check(address, 'ipv4');
  if (family !== 6) return false;
  // A zone id (fe80::1%eth0) names an interface, not another address.
  const host = address.split('%')[0];
  return !GLOBAL_UNICAST.check(host, 'ipv6') || BLOCKED_V6.check(host, 'ipv6');
}

/** True for names that are local by definition (RFC 6761), before any DNS. */
export function isLocalHostname(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Checks a URL and resolves its host. Throws NetworkPolicyError unless the scheme is allowed, the
 * URL has no credentials and (without allowPrivateNetwork) every resolved address is public.
 * Returns the addresses to connect to.
 */
export async function assertPublicUrl(input: string | URL, options: NetworkPolicyOptions = {}): Promise<PublicUrl> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new NetworkPolicyError('invalid_url', 'Not a valid URL');
  }
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) {
    throw new NetworkPolicyError('scheme_not_allowed', `Scheme ${url.protocol.replace(':', '')} is not allowed; use https`);
  }
  if (url.username || url.password) throw new NetworkPolicyError('credentials_in_url', 'URLs must not contain credentials');
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!hostname) throw new NetworkPolicyError('invalid_url', 'URL has no host');
  if (!options.allowPrivateNetwork && isLocalHostname(hostname)) {
    throw new NetworkPolicyError('private_address', `Host ${hostname} is not a public address`);
  }
  const addresses = await resolveHost(hostname, options.resolve ?? systemResolve);
  if (!options.allowPrivateNetwork) {
    const blocked = addresses.find((a) => isBlockedAddress(a.address));
    // Any blocked answer rejects the URL: the connection could use any of them.
    if (blocked) throw new NetworkPolicyError('private_address', `Host ${hostname} resolves to a non-public address`);
  }
  return { url, addresses };
}

/** A `lookup` for http.Agent / net.connect that only ever answers with the checked addresses. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  if (addresses.length === 0) throw new Error('pinnedLookup needs at least one address');
  return (_hostname, options, callback) => {
    const candidates = options.family ? addresses.filter((a) => a.family === options.family) : addresses;
    const usable = candidates.length > 0 ? candidates : addresses;
    if (options.all) callback(null, usable.map((a) => ({ ...a })));
    else callback(null, usable[0].address, usable[0].family);
  };
}

async function resolveHost(hostname: string, resolve: Resolver): Promise<ResolvedAddress[]> {
  const family = isIP(hostname);
  if (family === 4 || family === 6) return [{ address: hostname, family }];
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(hostname);
  } catch {
    throw new NetworkPolicyError('unresolvable', `Host ${hostname} could not be resolved`);
  }
  if (addresses.length === 0) throw new NetworkPolicyError('unresolvable', `Host ${hostname} could not be resolved`);
  return addresses;
}

async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}
