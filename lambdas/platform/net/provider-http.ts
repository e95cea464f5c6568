import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { assertPublicUrl, NetworkPolicyError, pinnedLookup, type Resolver } from './network-policy';

/**
 * The one way we call a provider (token exchange, refresh, proxy, webhooks): the URL passes the
 * network policy, the socket goes only to the addresses that were checked (no second DNS answer),
 * redirects are returned rather than followed, the whole exchange has a deadline and the
 * response a size cap.
 */

export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string | URL;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Private, loopback and link-local targets allowed (custom providers that opted in). */
  allowPrivateNetwork?: boolean;
  /** http:// allowed besides https://. */
  allowHttp?: boolean;
  /** Deadline for the whole exchange: DNS, connect, TLS, headers and body. */
  timeoutMs?: number;
  /** Deadline for the connection (TCP, and TLS for https) once the address is known. */
  connectTimeoutMs?: number;
  /** Longest silence while waiting for the response (a stalled server fails before the overall deadline). */
  readTimeoutMs?: number;
  /** Larger response bodies are an error (`too_large`). */
  maxResponseBytes?: number;
  /** DNS resolution (tests); defaults to the system resolver. */
  resolve?: Resolver;
}

export interface ProviderResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed as JSON; throws a SyntaxError (without the body) when it is not JSON. */
  json<T = unknown>(): T;
}

export type ProviderHttpErrorReason = 'network' | 'timeout' | 'too_large' | 'blocked';

/**
 * Why a provider call failed. The message names the host at most: never a header, a body or the
 * URL's path or query, which may hold secrets. `code` is the system error code (ECONNREFUSED…).
 */
export class ProviderHttpError extends Error {
  constructor(
    readonly reason: ProviderHttpErrorReason,
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ProviderHttpError';
  }
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_READ_TIMEOUT_MS = 8_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const USER_AGENT = 'Latchkey';

export async function providerRequest(request: ProviderRequest): Promise<ProviderResponse> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const deadline = Date.now() + timeoutMs;
  let checked;
  try {
    checked = await withDeadline(
      assertPublicUrl(request.url, { allowPrivateNetwork: request.allowPrivateNetwork, allowHttp: request.allowHttp, resolve: request.resolve }),
      timeoutMs,
      hostOf(request.url),
    );
  } catch (err) {
    if (!(err instanceof NetworkPolicyError)) throw err;
    // An unknown host is a network failure; everything else is the policy saying no.
    if (err.reason === 'unresolvable') throw new ProviderHttpError('network', err.message, 'ENOTFOUND');
    throw new ProviderHttpError('blocked', err.message);
  }
  const { url, addresses } = checked;
  const host = url.hostname;
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw timeoutError(host, timeoutMs);

  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...lowerCaseKeys(request.headers ?? {}) };
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  // An explicit length: without one Node would send a POST with no body chunked.
  if (body || !['GET', 'HEAD'].includes(request.method)) headers['content-length'] = String(body?.length ?? 0);

  return new Promise<ProviderResponse>((resolve, reject) => {
    let settled = false;
    const fail = (err: ProviderHttpError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(connectTimer);
      req.destroy();
      reject(err);
    };
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request({
      protocol: url.protocol,
      // The bracketless name: Node wants `::1`, not `[::1]`; TLS checks the certificate against it.
      hostname: host.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined,
      path: `${url.pathname}${url.search}`,
      method: request.method,
      headers,
      lookup: pinnedLookup(addresses),
      // No pooled sockets: a reused connection could predate this request's checks.
      agent: false,
    });
    const timer = setTimeout(() => fail(timeoutError(host, timeoutMs)), remaining);
    const connectTimeoutMs = Math.min(request.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, remaining);
    const connectTimer = setTimeout(() => fail(new ProviderHttpError('timeout', `Connecting to ${host} timed out after ${connectTimeoutMs} ms`)), connectTimeoutMs);
    req.on('socket', (socket) => {
      // TLS verification stays on (Node's default): the connection counts as made once the handshake has verified the certificate.
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    const readTimeoutMs = request.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    req.setTimeout(readTimeoutMs, () => fail(new ProviderHttpError('timeout', `${host} sent nothing for ${readTimeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(new ProviderHttpError('network', `Request to ${host} failed${err.code ? ` (${err.code})` : ''}`, err.code)));
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return fail(tooLarge(host, maxBytes));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return fail(tooLarge(host, maxBytes));
        chunks.push(chunk);
      });
      res.on('error', (err: NodeJS.ErrnoException) => fail(new ProviderHttpError('network', `Response from ${host} was cut off`, err.code)));
      // An aborted response emits 'aborted'/'close' without 'end' on some Node versions.
      res.on('close', () => {
        if (!res.complete) fail(new ProviderHttpError('network', `Response from ${host} was cut off`));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(connectTimer);
        const buffer = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, json: <T>() => parseJson<T>(buffer) });
      });
    });
    req.end(body);
  });
}

function parseJson<T>(buffer: Buffer): T {
  try {
    return JSON.parse(buffer.toString('utf8')) as T;
  } catch {
    // The parser's own message quotes the body.
    throw new SyntaxError('Response body is not valid JSON');
  }
}

function timeoutError(host: string, timeoutMs: number): ProviderHttpError {
  return new ProviderHttpError('timeout', `Request to ${host} timed out after ${timeoutMs} ms`);
}

function tooLarge(host: string, maxBytes: number): ProviderHttpError {
  return new ProviderHttpError('too_large', `Response from ${host} is larger than ${maxBytes} bytes`);
}

/** DNS has no timeout of its own that we control: race it against the deadline. */
async function withDeadline<T>(promise: Promise<T>, timeoutMs: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError(host, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function hostOf(url: string | URL): string {
  try {
    return new URL(url).hostname || 'provider';
  } catch {
    return 'provider';
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
