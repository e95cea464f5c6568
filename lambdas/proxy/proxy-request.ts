import type { IncomingHttpHeaders } from 'node:http';
import { hostAllowed } from '../providers/host-choice';
import { ProxyError } from './errors';

/**
 * The upstream request's URL and headers, and which of the upstream's headers go back. The host
 * is the provider's (its `proxy.base_url` for this connection) or an override on the same origin or
 * on the integration's `allowed_hosts`: a caller chooses paths, never where a credential goes.
 */

/** The base the call goes to: the provider's, or an allowed override of it. */
export function chooseBase(providerBase: string | undefined, override: string | undefined, allowedHosts: readonly string[], allowHttp: boolean): URL {
  if (!override) {
    if (!providerBase) throw new ProxyError('missing_base_url', 'The provider has no proxy base URL; pass Base-Url-Override with a host on the integration\'s allowed_hosts');
    return new URL(providerBase);
  }
  let url: URL;
  try {
    url = new URL(override);
  } catch {
    throw new ProxyError('base_url_override_not_allowed', 'Base-Url-Override must be an absolute URL');
  }
  const schemeAllowed = url.protocol === 'https:' || (allowHttp && url.protocol === 'http:');
  if (!schemeAllowed || url.username || url.password || url.search || url.hash) {
    throw new ProxyError('base_url_override_not_allowed', 'Base-Url-Override must be an https URL without credentials, query or fragment');
  }
  const sameOrigin = providerBase !== undefined && new URL(providerBase).origin === url.origin;
  if (!sameOrigin && !hostAllowed(url.hostname, allowedHosts)) {
    throw new ProxyError('base_url_override_not_allowed', `Base-Url-Override may name the provider's own origin or a host on the integration's allowed_hosts; ${url.hostname} is neither`);
  }
  return url;
}

/**
 * base + endpoint + the caller's query + the injected query. The endpoint is appended as a path
 * (it cannot name another host), and the result must keep the base's origin.
 */
export function upstreamUrl(base: URL, endpoint: string, callerQuery: ReadonlyArray<[string, string]>, injectedQuery: ReadonlyArray<[string, string]>): URL {
  const path = `${base.pathname.replace(/\/+$/, '')}/${endpoint.replace(/^\/+/, '')}`;
  const url = new URL(`${base.origin}${path}`);
  if (url.origin !== base.origin) throw new ProxyError('base_url_override_not_allowed', 'The endpoint must be a path');
  for (const [name, value] of callerQuery) url.searchParams.append(name, value);
  // The credential's parameters win over a caller's of the same name.
  for (const [name] of injectedQuery) url.searchParams.delete(name);
  for (const [name, value] of injectedQuery) url.searchParams.append(name, value);
  return url;
}

/** Hop-by-hop (RFC 9110 §7.6.1) and framing headers: never forwarded either way. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'trailers', 'transfer-encoding', 'upgrade', 'host', 'content-length']);
const CUSTOM_PREFIX = 'nango-proxy-';

/**
 * What goes upstream from the caller: each `Nango-Proxy-<Name>` as `<Name>` and the caller's own
 * Content-Type; nothing else (our secret key, the SDK's Nango-* headers stay here).
 */
export function forwardedHeaders(incoming: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (name === 'content-type' && out['content-type'] === undefined) out[name] = value;
    if (!name.startsWith(CUSTOM_PREFIX)) continue;
    const upstreamName = name.slice(CUSTOM_PREFIX.length);
    if (!upstreamName || HOP_BY_HOP.has(upstreamName)) continue;
    out[upstreamName] = value;
  }
  return out;
}

/**
 * The upstream's headers as they go back: without hop-by-hop and framing headers, CORS headers
 * (ours apply), cookies and authorization headers (they belong to our credential, not the
 * caller), and any header that carries one of the call's secrets.
 */
export function returnedHeaders(headers: IncomingHttpHeaders, secrets: readonly string[], decompressed: boolean): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (HOP_BY_HOP.has(name) || name.startsWith('access-control-') || name === 'set-cookie' || name === 'authorization') continue;
    if (decompressed && name === 'content-encoding') continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.some((v) => secrets.some((secret) => v.includes(secret)))) continue;
    out[name] = values;
  }
  return out;
}
