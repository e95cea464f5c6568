import { recordAudit } from '../audit/audit-log';
import { SYSTEM_REQUEST, type AuditBase } from '../audit/audit-event';
import { integrationClient, providerOf } from '../connections/connection-read';
import { refreshConnection, type RefreshConnectionInput, type RefreshResult } from '../connections/refresh/refresh-coordinator';
import { RefreshError } from '../connections/refresh/refresh-errors';
import { refreshesOnRead, refreshMarginMs } from '../connections/refresh/refresh-policy';
import { claimRefreshCandidates, setRefreshCheckAfter, type RefreshCandidate } from '../connections/refresh/refresh-store';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { logger } from '../platform/observability/logger';
import { takeBatch, type SweepBudget } from '../platform/db/batched-delete';

/**
 * Proactive token refresh (issue 8, docs/nango-wire.md §6 "Scheduled refresh"), every 5 minutes:
 *  - tokens about to expire are refreshed ahead of time, so reads rarely wait on a provider;
 *  - connections idle for a day, and tokens that came without an expiry, are refreshed once a
 *    day, so their refresh tokens stay alive and a dead grant is found (and reported) by us,
 *    not by the next caller weeks later;
 * in bounded batches claimed with SKIP LOCKED, through the same single-flight coordinator as
 * reads (a read racing the sweep gets the sweep's token). Connections that need reauthorization
 * or are in a failure cooldown are left alone. `refresh_check_after` keeps every run from
 * re-reading connections it cannot or need not refresh.
 */

/** Refresh this much before the provider's window opens: one run interval plus slack. */
export const SWEEP_LEAD_MS = 10 * 60_000;
/** Tokens expiring within this are fetched (the provider's window is applied in code). */
const HORIZON_MS = 2 * 3600_000;
/** A connection not read, or not refreshed, for this long is "idle". */
export const IDLE_MS = 86_400_000;
/** A claim keeps other runs off a connection this long (a crashed run's claim simply lapses). */
const CLAIM_MS = 10 * 60_000;
/** Per batch: each refresh may wait up to the token client's 10 s deadline, CONCURRENCY at a time. */
const BATCH_SIZE = 16;
const CONCURRENCY = 8;

export type ProactiveRefreshResult = {
  refreshCandidates: number;
  refreshesSucceeded: number;
  refreshesFailed: number;
  refreshBudgetExhausted: number;
};

type Outcome = { checkAfter: Date | null; result: 'refreshed' | 'failed' | 'skipped' };

export interface ProactiveRefreshOptions {
  /** The refresh to run (default: the process coordinator); tests inject their own. */
  refresh?: (input: RefreshConnectionInput) => Promise<RefreshResult>;
  cipher: EnvelopeCipher;
}

export async function sweepProactiveRefresh(db: SqlExecutor, now: Date, budget: SweepBudget, options: ProactiveRefreshOptions): Promise<ProactiveRefreshResult> {
  const refresh = options.refresh ?? refreshConnection;
  const { cipher } = options;
  const totals: ProactiveRefreshResult = { refreshCandidates: 0, refreshesSucceeded: 0, refreshesFailed: 0, refreshBudgetExhausted: 1 };
  while (takeBatch(budget)) {
    const batch = await claimBatch(db, now);
    totals.refreshCandidates += batch.length;
    const outcomes = await mapPool(batch, CONCURRENCY, (c) => check(db, cipher, refresh, c, now));
    for (const o of outcomes) {
      if (o.result === 'refreshed') totals.refreshesSucceeded += 1;
      if (o.result === 'failed') totals.refreshesFailed += 1;
    }
    await release(db, batch, outcomes);
    if (batch.length < BATCH_SIZE) {
      totals.refreshBudgetExhausted = 0;
      break;
    }
  }
  if (totals.refreshesSucceeded + totals.refreshesFailed > 0) {
    await recordAudit(db, {
      environmentId: null,
      actor: { type: 'system', id: 'proactive-refresh' },
      action: 'refresh.sweep',
      targetType: 'sweep',
      targetId: 'proactive-refresh',
      outcome: 'success',
      detail: { candidates: totals.refreshCandidates, refreshed: totals.refreshesSucceeded, failed: totals.refreshesFailed },
      request: SYSTEM_REQUEST,
    });
  }
  return totals;
}

/** Claims the next batch for CLAIM_MS (refresh-store.ts). */
function claimBatch(db: SqlExecutor, now: Date): Promise<RefreshCandidate[]> {
  return claimRefreshCandidates(db, now, {
    horizon: new Date(now.getTime() + HORIZON_MS),
    idleBefore: new Date(now.getTime() - IDLE_MS),
    claimUntil: new Date(now.getTime() + CLAIM_MS),
    limit: BATCH_SIZE,
  });
}

/** Decides whether the connection is due, refreshes it if so, and says when to look again. */
async function check(db: SqlExecutor, cipher: EnvelopeCipher, refresh: NonNullable<ProactiveRefreshOptions['refresh']>, c: RefreshCandidate, now: Date): Promise<Outcome> {
  const later = new Date(now.getTime() + IDLE_MS);
  try {
    const provider = providerOf(c);
    if (!provider || !refreshesOnRead(provider)) return { checkAfter: later, result: 'skipped' };
    const due = dueAt(provider, c.credentials_expires_at, c.last_refresh_success_at);
    const expiring = due !== null && due.getTime() <= now.getTime();
    const idleBefore = now.getTime() - IDLE_MS;
    const stale =
      (c.last_refresh_success_at ?? c.created_at).getTime() < idleBefore &&
      (c.credentials_expires_at === null || (c.last_fetched_at ?? c.created_at).getTime() < idleBefore);
    if (!expiring && !stale) return { checkAfter: due ?? later, result: 'skipped' };
    const audit: AuditBase = { environmentId: c.environment_id, actor: { type: 'system', id: 'proactive-refresh' }, request: SYSTEM_REQUEST, outcome: 'success' };
    const result = await refresh({
      db,
      cipher,
      provider,
      integrationSecrets: await integrationClient(cipher, c.environment_id, c),
      row: { id: c.id, environmentId: c.environment_id, providerConfigKey: c.provider_config_key, connectionId: c.connection_id, credentialsVersion: c.credentials_version, connectionConfig: c.connection_config },
      now,
      // Ahead of the provider's window, and for idle or expiry-less tokens: the sweep decided.
      force: true,
      // Client-credentials and app installation tokens lose nothing by waiting for a read to renew
      // them; only OAuth grants need exercising (unused refresh tokens may expire).
      kinds: ['OAUTH2'],
      audit,
    });
    if (result.outcome === 'not_refreshable') return { checkAfter: later, result: 'skipped' };
    // Refreshed (by us or by a read meanwhile): look again when the new token is due.
    const expires = 'expires_at' in result.credentials && typeof result.credentials.expires_at === 'string' ? new Date(result.credentials.expires_at) : null;
    return { checkAfter: expires ? dueAt(provider, expires, now) : later, result: result.outcome === 'refreshed' ? 'refreshed' : 'skipped' };
  } catch (err) {
    // Recorded by the coordinator (cooldown, incident, auth error); the cooldown decides the next look.
    if (err instanceof RefreshError) return { checkAfter: null, result: 'failed' };
    logger.error('proactive refresh failed', { connectionRowId: c.id, error: (err as Error).name });
    return { checkAfter: null, result: 'failed' };
  }
}

/**
 * When the sweep should refresh a token: ahead of the provider's read window by one run and some
 * slack, but not before half the life of a token we refreshed ourselves (`refreshedAt`).
 */
function dueAt(provider: Parameters<typeof refreshMarginMs>[0], expiresAt: Date | null, refreshedAt: Date | null): Date | null {
  if (!expiresAt) return null;
  const lifetime = refreshedAt ? expiresAt.getTime() - refreshedAt.getTime() : Number.POSITIVE_INFINITY;
  return new Date(expiresAt.getTime() - Math.min(refreshMarginMs(provider) + SWEEP_LEAD_MS, Math.max(0, lifetime / 2)));
}

/** ONE statement: every claimed row's next look (only where the claim is still ours to change). */
async function release(db: SqlExecutor, batch: RefreshCandidate[], outcomes: Outcome[]): Promise<void> {
  if (batch.length === 0) return;
  await setRefreshCheckAfter(db, batch.map((c, i) => ({ id: c.id, checkAfter: outcomes[i].checkAfter })));
}

/** Runs `fn` over `items`, at most `limit` at a time, keeping the order of results. */
async function mapPool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
