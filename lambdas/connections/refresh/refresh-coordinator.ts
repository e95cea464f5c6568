import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditAction, AuditBase, AuditEvent } from '../../audit/audit-event';
import { SYSTEM_REQUEST } from '../../audit/audit-event';
import type { EnvelopeCipher } from '../../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../../platform/db/data-api';
import { METRIC_NAMES } from '../../../lib/topology';
import { OAuthConfigError, type TokenProvider } from '../../oauth/token-client';
import { publishCount } from '../../platform/observability/metrics';
import { OAuthTokenError } from '../../oauth/token-response';
import { AppTokenError } from '../errors';
import { connectionEvent } from '../connection-store';
import { credentialsBinding, openCredentials, type StoredCredentials } from '../credentials';
import { RefreshBackoffError, RefreshBusyError, RefreshConnectionGoneError, RefreshExhaustedError, RefreshFailedError } from './refresh-errors';
import { releaseLease, tryAcquireLease, type RefreshState, type RefreshTarget } from './refresh-lease-store';
import { backoffAfterFailure, isDefinitive, needsReauthorization, refreshesOnRead, refreshMarginMs, type RefreshFailureKind, type RefreshPolicyProvider } from './refresh-policy';
import { readRefreshState, recordFailure, saveRefreshed } from './refresh-store';
import { appFailureKind, isRenewable, renew, type IntegrationSecretsForRenewal, type RefreshFunction, type RenewableCredentials, type Renewed } from './renewal';

export { defaultRefresh, type RefreshFunction } from './renewal';

/**
 * Single-flight token refresh of one connection across every running instance:
 *  1. in-process: concurrent callers of one connection share one promise;
 *  2. across instances: the lease on the row (refresh-lease-store.ts) admits one refresher; the others
 *     poll the row and return the winner's credentials once `credentials_version` moves;
 *  3. the winner saves with compare-and-set on that version, so a slow or stale result never
 *     overwrites newer credentials.
 * Each flight takes the lease under an id of its own, so only it can release it.
 */

export interface RefreshConnectionInput {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  provider: TokenProvider & RefreshPolicyProvider & { custom?: boolean };
  /** The integration's OAuth client (a connection's config_override wins over it), app key and scopes. */
  integrationSecrets: IntegrationSecretsForRenewal;
  /** The connection as the caller read it; `credentialsVersion` when known (else read now). */
  row: { id: string; environmentId: string; providerConfigKey: string; connectionId: string; credentialsVersion?: number; connectionConfig?: Record<string, unknown> };
  /** The request's clock. */
  now: Date;
  /** The token's refresh window as the caller computed it (tokenMarginMs); default: the provider's. */
  marginMs?: number;
  /** force_refresh: refresh even when fresh, in backoff or marked for reauthorization. */
  force?: boolean;
  /** Who asked (the API key); the system actor otherwise. */
  audit?: AuditBase;
  refresh?: RefreshFunction;
  /** Renew only these kinds of credentials (the proactive sweep: OAUTH2 alone); default all renewable ones. */
  kinds?: readonly RenewableCredentials['type'][];
}

export type RefreshOutcomeKind =
  /** This call refreshed and saved. */
  | 'refreshed'
  /** Someone else changed the credentials meanwhile (refresh, import): these are theirs. */
  | 'updated_elsewhere'
  /** Nothing to do: the token is not due (or has no expiry). */
  | 'not_needed'
  /** Due, but these credentials cannot be renewed (API key, basic; OAUTH2 without a refresh token). */
  | 'not_refreshable';

export interface RefreshResult {
  outcome: RefreshOutcomeKind;
  credentials: StoredCredentials | Record<string, never>;
  credentialsVersion: number;
}

export interface CoordinatorOptions {
  /** Lease lifetime: longer than any token request (tokenTimeoutMs), short enough that a dead holder blocks briefly. */
  leaseTtlMs?: number;
  /** Deadline of the token request. */
  tokenTimeoutMs?: number;
  /** How long a caller waits for another holder's refresh before giving up (RefreshBusyError). */
  waitMs?: number;
  /** First poll interval while another holder refreshes; grows ×1.5 up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** Elapsed time and waiting while polling (tests run them on a virtual clock). */
  timer?: CoordinatorTimer;
}

export interface CoordinatorTimer {
  /** Monotonic milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTimer: CoordinatorTimer = { now: () => performance.now(), sleep: (ms) => sleep(ms).then(() => undefined) };

export class RefreshCoordinator {
  private readonly inFlight = new Map<string, Promise<RefreshResult>>();
  private readonly leaseTtlMs: number;
  private readonly tokenTimeoutMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  private readonly maxPollMs: number;
  private readonly timer: CoordinatorTimer;

  constructor(options: CoordinatorOptions = {}) {
    this.leaseTtlMs = options.leaseTtlMs ?? 20_000;
    // A holder must finish its request before its lease can pass to someone else.
    this.tokenTimeoutMs = Math.min(options.tokenTimeoutMs ?? 10_000, Math.floor(this.leaseTtlMs / 2));
    this.waitMs = options.waitMs ?? this.tokenTimeoutMs + 2_000;
    this.pollMs = options.pollMs ?? 100;
    this.maxPollMs = options.maxPollMs ?? 500;
    this.timer = options.timer ?? realTimer;
  }

  /** Connections with a flight in progress in this process (bounded by concurrent callers). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  refresh(input: RefreshConnectionInput): Promise<RefreshResult> {
    // A forced caller must not settle for an unforced flight's "not needed".
    const key = `${input.row.id}:${input.force ? 'force' : 'due'}`;
    const existing = this.inFlight.get(key);
    if (existing) return existing;
    const flight = this.run(input).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, flight);
    return flight;
  }

  private async run(input: RefreshConnectionInput): Promise<RefreshResult> {
    const { db, provider, now: start } = input;
    const force = input.force === true;
    const target: RefreshTarget = { rowId: input.row.id, environmentId: input.row.environmentId };
    const leaseId = randomUUID();
    // The request's clock, advanced by real time while we wait.
    const { timer } = this;
    const began = timer.now();
    const clock = () => new Date(start.getTime() + (timer.now() - began));
    let baseline = input.row.credentialsVersion;
    let pause = this.pollMs;

    for (;;) {
      const now = clock();
      const refreshBefore = refreshesOnRead(provider) ? new Date(now.getTime() + (input.marginMs ?? refreshMarginMs(provider))) : null;
      const state = await tryAcquireLease(db, target, leaseId, now, this.leaseTtlMs, { force, refreshBefore, expectedVersion: baseline });
      if (!state) throw new RefreshConnectionGoneError();
      baseline ??= state.credentials_version;
      if (state.credentials_version !== baseline) return this.settled(input, state, 'updated_elsewhere');
      if (state.acquired) return this.refreshHeld(input, target, leaseId, state, clock);
      if (!force) {
        const due = refreshBefore !== null && state.credentials_expires_at !== null && state.credentials_expires_at < refreshBefore;
        if (!due) return this.settled(input, state, 'not_needed');
        if (state.auth_error) throw new RefreshExhaustedError();
        if (state.refresh_backoff_until && state.refresh_backoff_until > now) throw new RefreshBackoffError(state.refresh_backoff_until);
      }
      // Another flight holds the lease: wait for its result (or for its lease to expire).
      if (timer.now() - began + pause > this.waitMs) throw new RefreshBusyError();
      await timer.sleep(pause);
      pause = Math.min(Math.round(pause * 1.5), this.maxPollMs);
    }
  }

  /** We hold the lease: call the provider, then save (or record the failure) with compare-and-set. */
  private async refreshHeld(input: RefreshConnectionInput, target: RefreshTarget, leaseId: string, state: RefreshState, clock: () => Date): Promise<RefreshResult> {
    const { db, cipher } = input;
    let old: StoredCredentials | Record<string, never>;
    try {
      old = await openCredentials(cipher, target.environmentId, state);
    } catch (err) {
      await releaseQuietly(db, target, leaseId);
      throw err;
    }
    if (!isRenewable(old) || (input.kinds && !input.kinds.includes(old.type))) {
      await releaseQuietly(db, target, leaseId);
      return { outcome: 'not_refreshable', credentials: old, credentialsVersion: state.credentials_version };
    }

    let fresh: Renewed;
    try {
      fresh = await renew(old, {
        provider: input.provider,
        integration: input.integrationSecrets,
        connectionConfig: { ...input.row.connectionConfig, ...state.connection_config },
        now: clock(),
        timeoutMs: this.tokenTimeoutMs,
        refresh: input.refresh,
      });
    } catch (err) {
      return this.failed(input, target, leaseId, state, err, clock());
    }

    const merged = fresh.credentials;
    const now = clock();
    let savedVersion: number | undefined;
    try {
      const envelope = await cipher.encryptJson(merged, credentialsBinding(target.environmentId, target.rowId));
      const event = this.event(input, 'connection.refresh.success', 'success', {
        forced: input.force === true,
        credentials_type: merged.type,
        refresh_token_rotated: fresh.rotated,
        expires_at: 'expires_at' in merged ? (merged.expires_at ?? null) : null,
      });
      const expiresAt = 'expires_at' in merged && merged.expires_at ? new Date(merged.expires_at) : null;
      savedVersion = await saveRefreshed(db, target, leaseId, state.credentials_version, { envelope, expiresAt, connectionConfig: fresh.connectionConfig }, now, event);
    } catch (err) {
      await releaseQuietly(db, target, leaseId);
      throw err;
    }
    if (savedVersion !== undefined) {
      // The dashboard's "Credential refreshes": every provider call that produced saved credentials.
      publishCount(METRIC_NAMES.refreshSucceeded);
      return { outcome: 'refreshed', credentials: merged, credentialsVersion: savedVersion };
    }
    // Lost the compare-and-set: newer credentials exist (our lease had expired, or an import landed).
    await releaseQuietly(db, target, leaseId);
    const newer = await readRefreshState(db, target);
    if (!newer) throw new RefreshConnectionGoneError();
    return this.settled(input, newer, 'updated_elsewhere');
  }

  private async failed(input: RefreshConnectionInput, target: RefreshTarget, leaseId: string, state: RefreshState, err: unknown, now: Date): Promise<RefreshResult> {
    const failure = describeFailure(err);
    publishCount(METRIC_NAMES.refreshFailed);
    const failureCount = state.refresh_failure_count + 1;
    const failingSince = state.refresh_failing_since ?? now;
    const reauth = needsReauthorization(failure.kind, failureCount, failingSince, now);
    const backoffMs = backoffAfterFailure(failureCount, failure.kind);
    const retryAt = new Date(now.getTime() + backoffMs);
    const authError = reauth
      ? { type: 'refresh', kind: failure.kind, status: failure.status ?? null, provider_error: failure.providerError ?? null, at: now.toISOString() }
      : null;
    const event = this.event(input, 'connection.refresh.failure', 'failure', {
      forced: input.force === true,
      kind: failure.kind,
      status: failure.status ?? null,
      provider_error: failure.providerError ?? null,
      failure_count: failureCount,
      backoff_seconds: backoffMs / 1000,
      needs_reauthorization: reauth,
    });
    let recorded: boolean;
    try {
      const write = { failureCount, backoffUntil: retryAt, authError, kind: failure.kind, status: failure.status };
      recorded = await recordFailure(input.db, target, leaseId, state.credentials_version, write, now, event);
    } catch (dbErr) {
      await releaseQuietly(input.db, target, leaseId);
      throw dbErr;
    }
    if (!recorded) {
      // Someone saved newer credentials while we failed (e.g. our lease expired and they won): use theirs.
      await releaseQuietly(input.db, target, leaseId);
      const newer = await readRefreshState(input.db, target);
      if (!newer) throw new RefreshConnectionGoneError();
      if (newer.credentials_version !== state.credentials_version) return this.settled(input, newer, 'updated_elsewhere');
    }
    // Not a provider answer (a bug, a crash): recorded like a transient failure, surfaced as it is.
    if (failure.kind === 'unknown') throw err;
    throw new RefreshFailedError({ ...failure, definitive: isDefinitive(failure.kind), needsReauthorization: reauth, retryAt });
  }

  private async settled(input: RefreshConnectionInput, state: RefreshState, outcome: RefreshOutcomeKind): Promise<RefreshResult> {
    const credentials = await openCredentials(input.cipher, input.row.environmentId, state);
    return { outcome, credentials, credentialsVersion: state.credentials_version };
  }

  private event(input: RefreshConnectionInput, action: AuditAction, outcome: 'success' | 'failure', detail: Record<string, unknown>): AuditEvent {
    const base: AuditBase = input.audit ?? { environmentId: input.row.environmentId, actor: { type: 'system', id: 'token-refresh' }, request: SYSTEM_REQUEST, outcome };
    const key = { environmentId: input.row.environmentId, providerConfigKey: input.row.providerConfigKey, connectionId: input.row.connectionId };
    return { ...connectionEvent({ ...base, outcome }, key, action, detail), targetId: input.row.id };
  }
}

/** The kind and the safe facts of a failed refresh (never the error's message: it may quote the provider). */
function describeFailure(err: unknown): { kind: RefreshFailureKind; status?: number; providerError?: string } {
  if (err instanceof OAuthTokenError) return { kind: err.kind, status: err.status, providerError: err.providerError };
  if (err instanceof OAuthConfigError) return { kind: 'config' };
  if (err instanceof AppTokenError) return { kind: appFailureKind(err) };
  return { kind: 'unknown' };
}

async function releaseQuietly(db: SqlExecutor, target: RefreshTarget, leaseId: string): Promise<void> {
  // Best effort: the lease expires on its own anyway.
  await releaseLease(db, target, leaseId).catch(() => undefined);
}

/** The process's coordinator: one in-flight map per Lambda container. */
let processCoordinator: RefreshCoordinator | undefined;

/** Refreshes a connection's credentials if due (or forced), single-flight across all instances. */
export function refreshConnection(input: RefreshConnectionInput): Promise<RefreshResult> {
  processCoordinator ??= new RefreshCoordinator();
  return processCoordinator.refresh(input);
}
