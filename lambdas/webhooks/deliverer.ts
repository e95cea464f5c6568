import { performance } from 'node:perf_hooks';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { logger } from '../platform/observability/logger';
import { ProviderHttpError, providerRequest } from '../platform/net/provider-http';
import { afterAttempt, isOpen, type CircuitState } from './circuit-breaker';
import { dispatchAndClaim, recordAttempts, type AttemptRecord, type CircuitRecord, type ClaimedDelivery } from './delivery-store';
import { webhookRequestPolicy } from './outbound-policy';
import { isRetryable, verdict, type AttemptResult } from './retry-policy';
import { signatureHeaders } from './signature';
import { stableStringify } from './stable-json';

/**
 * Sends due webhook deliveries: claim (dispatching new outbox rows on the way), sign, POST,
 * record — two Data API statements per batch, whatever its size. Every decision takes the
 * injected `now`, so a test can run the re-drive "an hour later" instead of waiting an hour.
 */

const EVENT_ID_HEADER = 'X-Latchkey-Event-Id';
const DELIVERY_ID_HEADER = 'X-Latchkey-Delivery-Id';
const ATTEMPT_HEADER = 'X-Latchkey-Attempt';
const RESPONSE_EXCERPT_CHARS = 1024;
/** Attempts per URL sent together before the circuit is looked at again. */
const CHUNK_PER_URL = 8;
/** Requests in flight per invocation. */
const CONCURRENCY = 16;

export interface DeliveryRun {
  now: Date;
  /** Only this event (the bus path); otherwise the re-drive. */
  outboxId?: string;
  /** Wall-clock time (ms) after which no new batch is claimed. */
  deadline: number;
  batchSize?: number;
  random?: () => number;
}

export interface DeliveryTotals {
  attempted: number;
  delivered: number;
  retrying: number;
  failed: number;
  deferred: number;
}

export async function runDeliveries(db: SqlExecutor, cipher: EnvelopeCipher, run: DeliveryRun): Promise<DeliveryTotals> {
  const totals: DeliveryTotals = { attempted: 0, delivered: 0, retrying: 0, failed: 0, deferred: 0 };
  const limit = run.batchSize ?? 100;
  for (;;) {
    const claimed = await dispatchAndClaim(db, run.now, { outboxId: run.outboxId, limit });
    if (claimed.length === 0) break;
    const { attempts, circuits } = await deliverBatch(cipher, claimed, run.now, run.random ?? Math.random);
    await recordAttempts(db, run.now, attempts, circuits);
    for (const a of attempts) {
      if (a.outcome === 'deferred') totals.deferred += 1;
      else {
        totals.attempted += 1;
        totals[a.outcome === 'delivered' ? 'delivered' : a.outcome === 'retry' ? 'retrying' : 'failed'] += 1;
      }
    }
    // The bus path handles its one event; the re-drive continues while there is work and time.
    if (run.outboxId !== undefined || claimed.length < limit || Date.now() > run.deadline) break;
  }
  return totals;
}

/** Sends one batch: URLs in parallel, each URL's deliveries in small chunks so an opening circuit stops the rest. */
async function deliverBatch(cipher: EnvelopeCipher, claimed: ClaimedDelivery[], now: Date, random: () => number) {
  const keys = new SigningKeys(cipher);
  const byUrl = new Map<string, ClaimedDelivery[]>();
  for (const d of claimed) {
    const k = `${d.environment_id} ${d.url}`;
    byUrl.set(k, [...(byUrl.get(k) ?? []), d]);
  }
  const attempts: AttemptRecord[] = [];
  const circuits: CircuitRecord[] = [];
  const limiter = new Limiter(CONCURRENCY);
  await Promise.all(
    [...byUrl.values()].map(async (group) => {
      const first = group[0];
      const initial: CircuitState = { consecutiveFailures: first.consecutive_failures, openUntil: first.open_until };
      let state = initial;
      for (let i = 0; i < group.length; i += CHUNK_PER_URL) {
        const chunk = group.slice(i, i + CHUNK_PER_URL);
        if (isOpen(state, now)) {
          attempts.push(...chunk.map((d) => deferred(d, state.openUntil!)));
          continue;
        }
        const results = await Promise.all(chunk.map((d) => limiter.run(() => attempt(d, keys, now, random))));
        for (const r of results) {
          attempts.push(r.record);
          state = afterAttempt(state, r.circuit, now);
        }
      }
      if (state.consecutiveFailures !== initial.consecutiveFailures || state.openUntil?.getTime() !== initial.openUntil?.getTime()) {
        circuits.push({ environment_id: first.environment_id, url: first.url, consecutive_failures: state.consecutiveFailures, open_until: state.openUntil?.toISOString() ?? null });
      }
    }),
  );
  return { attempts, circuits };
}

function deferred(d: ClaimedDelivery, until: Date): AttemptRecord {
  return {
    target_id: d.id,
    outbox_id: d.outbox_id,
    url: d.url,
    attempts: d.attempts,
    outcome: 'deferred',
    status_code: null,
    latency_ms: null,
    response_excerpt: null,
    error: 'circuit_open: too many consecutive failures for this URL; retrying after a pause',
    next_attempt_at: until.toISOString(),
  };
}

/** The body exactly as sent and signed: the stored payload minus our internal fields, keys sorted. */
export function webhookBody(payload: Record<string, unknown>): string {
  const { _webhook_url_override: _ignored, ...body } = payload;
  return stableStringify(body);
}

async function attempt(d: ClaimedDelivery, keys: SigningKeys, now: Date, random: () => number): Promise<{ record: AttemptRecord; circuit: 'success' | 'failure' | 'neutral' }> {
  const number = d.attempts + 1;
  const base = { target_id: d.id, outbox_id: d.outbox_id, url: d.url, attempts: number };
  const key = await keys.get(d);
  if (!key) {
    // Not the receiver's fault: retry on the usual schedule without touching its circuit.
    const v = verdict({ kind: 'network' }, number, now, d.window_ends_at, random);
    const error = 'no_signing_key: the environment has no webhook signing key; create one with POST /environment/webhook-signing-key/rotate';
    return { record: { ...base, ...outcomeOf(v), status_code: null, latency_ms: null, response_excerpt: null, error }, circuit: 'neutral' };
  }
  const body = webhookBody(d.payload);
  const headers = {
    'content-type': 'application/json',
    ...signatureHeaders(key, body),
    [EVENT_ID_HEADER]: d.outbox_id,
    [DELIVERY_ID_HEADER]: d.id,
    [ATTEMPT_HEADER]: String(number),
  };
  const started = performance.now();
  let result: AttemptResult;
  let excerpt: string | null = null;
  let error: string | null = null;
  try {
    const res = await providerRequest({ method: 'POST', url: d.url, headers, body, ...webhookRequestPolicy(d.url) });
    const retryAfter = res.headers['retry-after'];
    result = { kind: 'response', status: res.status, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter };
    excerpt = res.body.length ? res.body.toString('utf8').slice(0, RESPONSE_EXCERPT_CHARS) : null;
    if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
  } catch (err) {
    // Messages name the host at most (provider-http): never the URL's path or query.
    const reason = err instanceof ProviderHttpError ? err.reason : 'network';
    result = reason === 'network' || reason === 'timeout' ? { kind: 'network' } : { kind: 'refused' };
    error = err instanceof ProviderHttpError ? `${reason}: ${err.message}` : 'network: the request failed';
  }
  const latency = Math.round(performance.now() - started);
  const v = verdict(result, number, now, d.window_ends_at, random);
  const circuit = v.outcome === 'delivered' ? 'success' : isRetryable(result) ? 'failure' : 'neutral';
  const status = result.kind === 'response' ? result.status : null;
  const log = { eventId: d.outbox_id, deliveryId: d.id, host: hostOf(d.url), attempt: number, status, outcome: v.outcome, latencyMs: latency };
  if (v.outcome === 'failed') logger.warn('webhook delivery failed', log);
  else logger.debug('webhook attempt', log);
  return { record: { ...base, ...outcomeOf(v), status_code: status, latency_ms: latency, response_excerpt: excerpt, error }, circuit };
}

function outcomeOf(v: ReturnType<typeof verdict>): Pick<AttemptRecord, 'outcome' | 'next_attempt_at'> {
  return { outcome: v.outcome, next_attempt_at: v.outcome === 'retry' ? v.nextAttemptAt.toISOString() : null };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
}

/** Each environment's signing key, decrypted once per batch (the cipher's data-key cache spares KMS when warm). */
class SigningKeys {
  private readonly cache = new Map<string, Promise<string | null>>();
  constructor(private readonly cipher: EnvelopeCipher) {}

  get(d: ClaimedDelivery): Promise<string | null> {
    let key = this.cache.get(d.environment_id);
    if (!key) {
      key = d.signing_key
        ? this.cipher
            .decrypt(d.signing_key, { environmentId: d.environment_id, purpose: 'environment-secret', table: 'environments', rowId: d.environment_id, field: 'webhook_signing_key' })
            .then((plain) => plain.toString('utf8'))
            .catch((err: Error) => {
              logger.error('webhook signing key could not be decrypted', { environmentId: d.environment_id, reason: err.name });
              return null;
            })
        : Promise.resolve(null);
      this.cache.set(d.environment_id, key);
    }
    return key;
  }
}

/** At most `size` tasks at once. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }
}
