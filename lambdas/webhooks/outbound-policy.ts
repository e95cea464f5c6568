import { isIP } from 'node:net';
import { setting } from '../platform/config';
import type { Resolver, ResolvedAddress } from '../platform/net/network-policy';
import { isLocalHostname } from '../platform/net/network-policy';
import type { ProviderRequest } from '../platform/net/provider-http';
import { lookup } from 'node:dns/promises';

/**
 * Where a webhook may go: HTTPS to a public address, through the SSRF guard the provider client
 * uses (checked after DNS, socket pinned to the checked addresses, no redirects followed).
 * `LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP=true` (set by `npm start` and the tests, never by the CDK
 * stack) also lets plain HTTP reach loopback — and loopback only, so a local receiver works
 * while private networks stay closed.
 */
export const WEBHOOK_TIMEOUT_MS = 10_000;
export const WEBHOOK_MAX_RESPONSE_BYTES = 256 * 1024;

export function allowLoopbackHttp(): boolean {
  return setting('LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP');
}

/** The request options that apply the policy to `url`. */
export function webhookRequestPolicy(url: string): Pick<ProviderRequest, 'allowHttp' | 'allowPrivateNetwork' | 'resolve' | 'timeoutMs' | 'maxResponseBytes'> {
  const base = { timeoutMs: WEBHOOK_TIMEOUT_MS, maxResponseBytes: WEBHOOK_MAX_RESPONSE_BYTES };
  if (!allowLoopbackHttp() || !isLoopbackUrl(url)) return base;
  return { ...base, allowHttp: true, allowPrivateNetwork: true, resolve: loopbackOnly };
}

function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return false;
  }
  return isIP(host) ? isLoopbackAddress(host) : isLocalHostname(host);
}

function isLoopbackAddress(address: string): boolean {
  return isIP(address) === 4 ? address.startsWith('127.') : address === '::1';
}

/** Resolves a `localhost` name, refusing any answer that is not loopback. */
const loopbackOnly: Resolver = async (hostname) => {
  const answers: ResolvedAddress[] = (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
  if (!answers.every((a) => isLoopbackAddress(a.address))) throw new Error('not loopback');
  return answers;
};
