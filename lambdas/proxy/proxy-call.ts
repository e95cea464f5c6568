import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, inflateSync, brotliDecompressSync } from 'node:zlib';
import type { IncomingHttpHeaders } from 'node:http';
import type { AuditBase } from '../audit/audit-event';
import { recordAudit } from '../audit/audit-log';
import { integrationClient } from '../connections/connection-read';
import { isCatalogProvider, resolveStoredProvider } from '../providers/provider-registry';
import type { Provider } from '../providers/provider-schema';
import { connectionEvent, type ConnectionKey } from '../connections/connection-store';
import { openCredentials, type StoredCredentials } from '../connections/credentials';
import type { RefreshConnectionInput, RefreshResult } from '../connections/refresh/refresh-coordinator';
import { needsRefresh, tokenMarginMs } from '../connections/refresh/refresh-policy';
import { isRenewable } from '../connections/refresh/renewal';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import type { Resolver } from '../platform/net/network-policy';
import { providerRequest, ProviderHttpError, type ProviderResponse } from '../platform/net/provider-http';
import { METRIC_NAMES } from '../../lib/topology';
import { publishCountWith } from '../platform/observability/metrics';
import { ProxyError } from './errors';
import { baseUrlOf, injectCredentials, type Injection } from './credential-injection';
import { PROXY_ATTEMPT_TIMEOUT_MS, PROXY_BUDGET_MS, PROXY_MAX_REDIRECTS, PROXY_MAX_RESPONSE_BYTES } from './proxy-limits';
import { chooseBase, forwardedHeaders, returnedHeaders, upstreamUrl } from './proxy-request';
import { retryDelayMs, type AttemptOutcome, type RetryPlan } from './proxy-retry';
import type { ProxyHeaders, ProxyMethod } from './proxy-schema';
import { readProxyTarget, type ProxyTargetRow } from './proxy-store';

/**
 * One proxied call (Nango's `/proxy/*`): read the connection (one statement), renew its token
 * first when due (the single-flight refresh), inject its credentials, call the upstream through
 * the pinned, SSRF-checked client with the caller's retries, on a 401 renew once and try once
 * more, and audit the call (a second statement: its outcome is known only after the upstream
 * answered). The answer is the upstream's status, headers (filtered) and body bytes.
 */

export interface ProxyCallInput {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  key: ConnectionKey;
  method: ProxyMethod;
  /** The path after `/proxy`, as sent. */
  endpoint: string;
  query: ReadonlyArray<[string, string]>;
  /** The caller's request headers (any case). */
  headers: Readonly<Record<string, string | undefined>>;
  options: ProxyHeaders;
  body?: Buffer;
  now: Date;
  audit: AuditBase;
  /** The process's single-flight refresh. */
  refresh: (input: RefreshConnectionInput) => Promise<RefreshResult>;
  /** Test seams: DNS, pauses, the retry jitter and the time budget. */
  resolve?: Resolver;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  budgetMs?: number;
}

export interface ProxyAnswer {
  status: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

export async function proxyCall(input: ProxyCallInput): Promise<ProxyAnswer> {
  const started = performance.now();
  const target = await readProxyTarget(input.db, input.key, input.now);
  if (target.kind === 'unknown_integration') throw new ProxyError('unknown_provider_config', 'Provider config not found');
  if (target.kind === 'unknown_connection') throw new ProxyError('unknown_connection', 'Failed to get connection');
  const { row } = target;
  const facts: CallFacts = { host: null, path: endpointPath(input.endpoint), retries: 0, refreshed: false, redirects: 0 };
  let status: number | null = null;
  try {
    const answer = await new ProxiedCall(input, row, facts).run();
    status = answer.status;
    return answer;
  } finally {
    const latencyMs = Math.round(performance.now() - started);
    const event = connectionEvent({ ...input.audit, outcome: status === null ? 'failure' : 'success' }, input.key, 'proxy.call', {
      method: input.method,
      host: facts.host,
      path: facts.path,
      status,
      latency_ms: latencyMs,
      retries: facts.retries,
      refreshed: facts.refreshed,
      ...(facts.redirects ? { redirects: facts.redirects } : {}),
    });
    // The dashboard's per-connection view: the connection is a property, not a dimension.
    publishCountWith(METRIC_NAMES.proxyCalls, { connectionId: input.key.connectionId, providerConfigKey: input.key.providerConfigKey, host: facts.host, status, latencyMs, retries: facts.retries });
    await recordAudit(input.db, { ...event, targetId: row.id });
  }
}

interface CallFacts {
  host: string | null;
  path: string;
  retries: number;
  refreshed: boolean;
  redirects: number;
}

class ProxiedCall {
  private credentials: StoredCredentials | Record<string, never> = {};
  private version: number;
  private readonly provider: Provider & { name: string; custom: boolean };
  private readonly startedAt = performance.now();
  private readonly deadline: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly input: ProxyCallInput,
    private readonly row: ProxyTargetRow,
    private readonly facts: CallFacts,
  ) {
    const provider = resolveStoredProvider(row.provider, row.provider_definition);
    if (!provider) throw new ProxyError('missing_base_url', `The integration's provider ${row.provider} is unknown`);
    this.provider = { ...provider, name: row.provider, custom: !isCatalogProvider(row.provider) };
    this.version = row.credentials_version;
    this.deadline = this.startedAt + (input.budgetMs ?? PROXY_BUDGET_MS);
    this.sleep = input.sleep ?? ((ms) => sleep(ms).then(() => undefined));
  }

  async run(): Promise<ProxyAnswer> {
    const { input, row } = this;
    this.credentials = await openCredentials(input.cipher, input.key.environmentId, row);
    if (isRenewable(this.credentials) && needsRefresh(this.credentials, this.provider, input.now, false)) await this.renew(false);

    let injection = this.inject();
    let response = await this.withRetries(injection);
    // A token the upstream refuses may have been revoked or renewed elsewhere: renew once, try once more.
    if (response.status === 401 && isRenewable(this.credentials)) {
      await this.renew(true);
      injection = this.inject();
      response = await this.send(injection, this.base());
    }
    return this.answer(response, injection.secrets);
  }

  private async renew(force: boolean): Promise<void> {
    const { input, row, provider } = this;
    const result = await input.refresh({
      db: input.db,
      cipher: input.cipher,
      provider,
      integrationSecrets: await integrationClient(input.cipher, input.key.environmentId, row),
      row: { id: row.id, environmentId: input.key.environmentId, providerConfigKey: input.key.providerConfigKey, connectionId: input.key.connectionId, credentialsVersion: this.version, connectionConfig: row.connection_config },
      // The request's clock, moved on by the time this call has taken so far.
      now: new Date(input.now.getTime() + Math.round(performance.now() - this.startedAt)),
      force,
      marginMs: tokenMarginMs(this.credentials as { raw?: unknown }, provider),
      audit: input.audit,
    });
    this.credentials = result.credentials;
    this.version = result.credentialsVersion;
    this.facts.refreshed = true;
  }

  private inject(): Injection {
    return injectCredentials(this.provider, this.credentials, this.row.connection_config);
  }

  private base(): URL {
    const providerBase = baseUrlOf(this.provider, this.credentials, this.row.connection_config);
    return chooseBase(providerBase, this.input.options['base-url-override'], this.row.allowed_hosts ?? [], this.provider.allow_private_network === true);
  }

  private plan(headers: Record<string, string>): RetryPlan {
    const { options, method } = this.input;
    return {
      retries: options.retries,
      retryOn: options['retry-on'] ?? [],
      method,
      unsafeAllowed: options['retry-non-idempotent'] === true || headers['idempotency-key'] !== undefined,
      hints: this.provider.proxy?.retry,
    };
  }

  /** Attempts until one is final, the retries are spent or the next pause would not fit the budget. */
  private async withRetries(injection: Injection): Promise<ProviderResponse> {
    const base = this.base();
    const plan = this.plan(forwardedHeaders(this.input.headers));
    for (let attempt = 0; ; attempt += 1) {
      let outcome: AttemptOutcome;
      let response: ProviderResponse | undefined;
      let failure: unknown;
      try {
        response = await this.send(injection, base);
        outcome = { status: response.status, headers: response.headers };
      } catch (err) {
        if (!(err instanceof ProxyError) || (err.reason !== 'upstream_unreachable' && err.reason !== 'upstream_timeout')) throw err;
        failure = err;
        outcome = { error: err.reason === 'upstream_timeout' ? 'timeout' : 'network' };
      }
      const delay = retryDelayMs(outcome, attempt, plan, Date.now(), this.input.random);
      // Room for the pause and a short attempt after it; otherwise this outcome is the answer.
      if (delay === undefined || performance.now() + delay + 1_000 > this.deadline) {
        if (response) return response;
        throw failure;
      }
      await this.sleep(delay);
      this.facts.retries += 1;
    }
  }

  /** One attempt, following redirects only when asked, and credentials only to the same origin. */
  private async send(injection: Injection, base: URL): Promise<ProviderResponse> {
    const { input } = this;
    const custom = forwardedHeaders(input.headers);
    let url = upstreamUrl(base, input.endpoint, input.query, injection.query);
    this.facts.host = url.host;
    let method = input.method;
    let body = input.body;
    for (let hop = 0; ; hop += 1) {
      const sameOrigin = url.origin === base.origin;
      const headers = sameOrigin ? { ...custom, ...injection.headers } : input.options['forward-headers-on-redirect'] ? withoutCredentials(custom, injection) : pick(custom, ['content-type', 'accept']);
      // allow_private_network covers the provider's own fixed hosts, never where a redirect points.
      const response = await this.request(method, url, headers, body, sameOrigin && this.provider.allow_private_network === true);
      const location = response.headers.location;
      if (!input.options['follow-redirects'] || response.status < 300 || response.status > 399 || response.status === 304 || !location || hop >= PROXY_MAX_REDIRECTS) return response;
      const next = new URL(location, url);
      // A redirect never takes the credential's query parameters elsewhere.
      if (next.origin !== base.origin) for (const [name] of injection.query) next.searchParams.delete(name);
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        method = 'GET';
        body = undefined;
      }
      url = next;
      this.facts.redirects += 1;
    }
  }

  private async request(method: ProxyMethod, url: URL, headers: Record<string, string>, body: Buffer | undefined, privateNetwork: boolean): Promise<ProviderResponse> {
    const remaining = Math.floor(this.deadline - performance.now());
    if (remaining <= 0) throw new ProxyError('upstream_timeout', `No time left to call ${url.hostname}`);
    try {
      return await providerRequest({
        method,
        url,
        headers,
        body,
        allowPrivateNetwork: privateNetwork,
        allowHttp: this.provider.allow_private_network === true,
        timeoutMs: Math.min(remaining, PROXY_ATTEMPT_TIMEOUT_MS),
        readTimeoutMs: Math.min(remaining, PROXY_ATTEMPT_TIMEOUT_MS),
        maxResponseBytes: PROXY_MAX_RESPONSE_BYTES,
        resolve: this.input.resolve,
      });
    } catch (err) {
      if (!(err instanceof ProviderHttpError)) throw err;
      if (err.reason === 'blocked') throw new ProxyError('host_not_allowed', `${url.hostname} is not a public address, or the URL is not allowed`);
      if (err.reason === 'too_large') throw new ProxyError('response_too_large', `The upstream's response is larger than ${PROXY_MAX_RESPONSE_BYTES} bytes`);
      if (err.reason === 'timeout') throw new ProxyError('upstream_timeout', `${url.hostname} did not answer in time`);
      throw new ProxyError('upstream_unreachable', `${url.hostname} could not be reached${err.code ? ` (${err.code})` : ''}`);
    }
  }

  private answer(response: ProviderResponse, secrets: string[]): ProxyAnswer {
    const decompress = this.input.options.decompress ?? this.provider.proxy?.decompress ?? false;
    const body = decompress ? decoded(response.body, response.headers) : undefined;
    return { status: response.status, headers: returnedHeaders(response.headers, secrets, body !== undefined), body: body ?? response.body };
  }
}

/** The body without its content coding, or undefined when it has none we know (it then goes back as is). */
function decoded(body: Buffer, headers: IncomingHttpHeaders): Buffer | undefined {
  const coding = String(headers['content-encoding'] ?? '').trim().toLowerCase();
  try {
    if (coding === 'gzip' || coding === 'x-gzip') return gunzipSync(body, { maxOutputLength: PROXY_MAX_RESPONSE_BYTES });
    if (coding === 'deflate') return inflateSync(body, { maxOutputLength: PROXY_MAX_RESPONSE_BYTES });
    if (coding === 'br') return brotliDecompressSync(body, { maxOutputLength: PROXY_MAX_RESPONSE_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ProxyError('response_too_large', `The upstream's response does not decompress within ${PROXY_MAX_RESPONSE_BYTES} bytes`);
    // Not what its header says: passed back as the upstream sent it.
  }
  return undefined;
}

function withoutCredentials(custom: Record<string, string>, injection: Injection): Record<string, string> {
  return Object.fromEntries(Object.entries(custom).filter(([name, value]) => !(name in injection.headers) && name !== 'authorization' && !injection.secrets.some((s) => value.includes(s))));
}

function pick(headers: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => names.includes(name)));
}

/** The endpoint's path for the audit log: no query (values may be personal data). */
function endpointPath(endpoint: string): string {
  return (endpoint.split('?')[0] || '/').slice(0, 512);
}
