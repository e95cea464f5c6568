import { DomainError } from '../../platform/domain-error';
import type { ApiPublicConnectionFull } from '../connection-format';
import type { RefreshFailureKind } from './refresh-policy';

/**
 * Why a refresh-on-read did not produce credentials (http/error-table.ts says how each is
 * answered). None carries a token, a secret, a provider's response body or its error_description.
 */

export type RefreshErrorReason = 'connection_refresh_backoff' | 'connection_refresh_exhausted' | 'refresh_token_external_error' | 'connection_refresh_in_progress' | 'not_found';

export abstract class RefreshError extends DomainError {
  readonly domain = 'refresh';
  abstract readonly reason: RefreshErrorReason;
  /** The connection as it reads without credentials, when the refresh failed on a read: Nango answers with it. */
  connection?: ApiPublicConnectionFull;

  /** This failure, reported with the connection it happened to. */
  withConnection(connection: ApiPublicConnectionFull): this {
    this.connection = connection;
    return this;
  }
}

/** A recent refresh failed; the next attempt is allowed at `retryAt` (or when forced). */
export class RefreshBackoffError extends RefreshError {
  readonly reason = 'connection_refresh_backoff';
  constructor(readonly retryAt: Date) {
    super(`Token refresh is in backoff after a failure until ${retryAt.toISOString()}`);
    this.name = 'RefreshBackoffError';
  }
}

/** The connection needs its end user to reconnect (definitive failure, or failures over days). */
export class RefreshExhaustedError extends RefreshError {
  readonly reason = 'connection_refresh_exhausted';
  constructor() {
    super('Token refresh failed for good: the connection needs to be reauthorized');
    this.name = 'RefreshExhaustedError';
  }
}

/** This call's refresh attempt failed (and was recorded). */
export class RefreshFailedError extends RefreshError {
  readonly reason = 'refresh_token_external_error';
  readonly kind: RefreshFailureKind;
  readonly definitive: boolean;
  readonly needsReauthorization: boolean;
  readonly retryAt: Date;
  readonly status?: number;
  readonly providerError?: string;
  constructor(init: { kind: RefreshFailureKind; definitive: boolean; needsReauthorization: boolean; retryAt: Date; status?: number; providerError?: string }) {
    const details = [init.providerError && `error=${init.providerError}`, init.status !== undefined && `HTTP ${init.status}`].filter(Boolean).join(', ');
    super(`The external API returned an error when trying to refresh the access token: ${init.kind}${details ? ` (${details})` : ''}`);
    this.name = 'RefreshFailedError';
    this.kind = init.kind;
    this.definitive = init.definitive;
    this.needsReauthorization = init.needsReauthorization;
    this.retryAt = init.retryAt;
    if (init.status !== undefined) this.status = init.status;
    if (init.providerError !== undefined) this.providerError = init.providerError;
  }
}

/** Another instance held the lease for longer than we wait; its refresh may still succeed. */
export class RefreshBusyError extends RefreshError {
  readonly reason = 'connection_refresh_in_progress';
  constructor() {
    super('Another token refresh of this connection is still running');
    this.name = 'RefreshBusyError';
  }
}

/** The connection was deleted (or never was in this environment). */
export class RefreshConnectionGoneError extends RefreshError {
  readonly reason = 'not_found';
  constructor() {
    super('Failed to find connection');
    this.name = 'RefreshConnectionGoneError';
  }
}
