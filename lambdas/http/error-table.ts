import type { ConnectSessionError } from '../connect-sessions/errors';
import type { ConnectError } from '../connect/errors';
import type { AppTokenError, ImportRefusal, UnreadableCredentialsError } from '../connections/errors';
import type { RefreshBackoffError, RefreshBusyError, RefreshConnectionGoneError, RefreshExhaustedError, RefreshFailedError } from '../connections/refresh/refresh-errors';
import type { IntegrationError } from '../integrations/errors';
import type { DuplicateKeyNameError, KeyLimitError } from '../keys/errors';
import type { DomainError, FieldIssue } from '../platform/domain-error';
import { logger } from '../platform/observability/logger';
import type { ProviderRegistryError, RepointRefused } from '../providers/errors';
import type { ProxyError } from '../proxy/errors';
import { ApiError } from './errors';

/**
 * THE mapping from domain errors to Nango's wire format: every `domain`/`reason` pair that domain
 * code can throw, with its status, Nango code and the envelope's other fields. `apiHandler` applies
 * it to every route (JSON envelope or callback page alike), so routes have no try/catch to
 * translate errors, and one failure has one answer. Where Nango answers one code with two
 * statuses (token_exchange_failed, invalid_credentials) the entry says on what it depends.
 */

/** Every error class domain code throws; the table below must cover each of their reasons. */
export type KnownDomainError =
  | ConnectError
  | ConnectSessionError
  | AppTokenError
  | ImportRefusal
  | UnreadableCredentialsError
  | RefreshBackoffError
  | RefreshExhaustedError
  | RefreshFailedError
  | RefreshBusyError
  | RefreshConnectionGoneError
  | IntegrationError
  | KeyLimitError
  | DuplicateKeyNameError
  | ProviderRegistryError
  | RepointRefused
  | ProxyError;

export interface WireAnswer {
  status: number;
  code: string;
  /** Omitted: the error's own message; `null`: the envelope has no message (as Nango, for some `invalid_body`). */
  message?: string | null;
  errors?: FieldIssue[];
  headers?: Record<string, string>;
  /** More fields of `error` (`payload`). */
  extra?: Record<string, unknown>;
}

type Mapping<E> = WireAnswer | ((err: E) => WireAnswer);

type Domain = KnownDomainError['domain'];
type ErrorOf<D extends Domain> = Extract<KnownDomainError, { domain: D }>;
type ErrorTable = { [D in Domain]: { [R in ErrorOf<D>['reason']]: Mapping<ErrorOf<D> & { reason: R }> } };

/** Nango returns the connection (credentials `{}`) with a failed refresh-on-read. */
const withConnection = (err: { connection?: unknown }) => (err.connection ? { payload: { connection: err.connection } } : {});

export const ERROR_TABLE: ErrorTable = {
  connect: {
    // The session went away between authentication and the flow's read.
    unknown_connect_session_token: { status: 401, code: 'unknown_connect_session_token' },
    integration_not_allowed: { status: 400, code: 'integration_not_allowed' },
    invalid_connection: { status: 400, code: 'invalid_connection' },
    unknown_provider_config: { status: 404, code: 'unknown_provider_config' },
    unknown_provider_template: { status: 404, code: 'unknown_provider_template' },
    invalid_auth_mode: { status: 400, code: 'invalid_auth_mode' },
    invalid_connection_config: { status: 400, code: 'invalid_connection_config' },
    missing_connection_config: { status: 400, code: 'missing_connection_config' },
    invalid_query_params: { status: 400, code: 'invalid_query_params' },
    host_not_allowed: { status: 400, code: 'host_not_allowed' },
    connection_test_failed: { status: 400, code: 'connection_test_failed' },
    provider_config_err: { status: 400, code: 'provider_config_err' },
    invalid_state: { status: 400, code: 'invalid_state' },
    connect_session_expired: { status: 400, code: 'connect_session_expired' },
    state_cookie_err: { status: 400, code: 'state_cookie_err' },
    callback_err: { status: 400, code: 'callback_err' },
    // The provider's own trouble is a bad gateway; a refused code is the flow's failure.
    token_exchange_failed: (err) => ({ status: err.providerUnavailable ? 502 : 400, code: 'token_exchange_failed' }),
  },
  connect_session: {
    unknown_integrations: (err) => ({ status: 400, code: 'invalid_body', message: null, errors: err.issues }),
    unknown_connection: { status: 400, code: 'invalid_body' },
    invalid_webhook_url: (err) => ({ status: 400, code: 'invalid_body', errors: err.issues }),
  },
  app_token: {
    app_config: { status: 400, code: 'invalid_body' },
    // Nango's code for credentials the provider does not accept.
    app_refused: { status: 400, code: 'connection_test_failed' },
    app_unavailable: { status: 502, code: 'provider_unavailable' },
  },
  connection_import: {
    unknown_integration: { status: 404, code: 'not_found' },
    unknown_provider: { status: 404, code: 'not_found' },
    auth_mode_mismatch: { status: 400, code: 'invalid_body' },
    app_id_mismatch: { status: 400, code: 'invalid_body' },
  },
  connection_credentials: {
    unreadable: (err) => {
      logger.error('Connection credentials could not be decrypted', { connectionRowId: err.rowId, reason: err.failure });
      return { status: 500, code: 'server_error', message: 'The stored credentials of this connection could not be decrypted' };
    },
  },
  refresh: {
    // §2.3: a refresh in backoff or exhausted is a failed dependency; this call's failed attempt a 400.
    connection_refresh_backoff: (err) => ({ status: 424, code: 'invalid_credentials', extra: withConnection(err) }),
    connection_refresh_exhausted: (err) => ({ status: 424, code: 'invalid_credentials', extra: withConnection(err) }),
    refresh_token_external_error: (err) => ({ status: 400, code: 'invalid_credentials', extra: withConnection(err) }),
    connection_refresh_in_progress: { status: 503, code: 'connection_refresh_in_progress', headers: { 'retry-after': '1' } },
    not_found: { status: 404, code: 'not_found' },
  },
  integration: {
    // Nango's exact bodies: these two as a field issue without a message.
    invalid_provider: (err) => ({ status: 400, code: 'invalid_body', message: null, errors: [{ code: 'invalid_string', message: err.message, path: ['provider'] }] }),
    unique_key_exists: (err) => ({ status: 400, code: 'invalid_body', message: null, errors: [{ code: 'invalid_string', message: err.message, path: ['uniqueKey'] }] }),
    incompatible_credentials: { status: 400, code: 'invalid_body' },
    missing_credentials: { status: 400, code: 'invalid_body' },
    unique_key_taken: { status: 400, code: 'invalid_body' },
    has_connections: { status: 400, code: 'invalid_body' },
    unknown_provider: { status: 404, code: 'not_found' },
    not_found: { status: 404, code: 'not_found' },
  },
  secret_key: {
    limit_reached: { status: 400, code: 'resource_capped' },
    duplicate_name: { status: 409, code: 'conflict' },
  },
  provider_registry: {
    invalid_provider_name: (err) => ({ status: 400, code: 'invalid_body', errors: err.issues }),
    invalid_provider: (err) => ({ status: 400, code: 'invalid_body', errors: err.issues }),
    provider_too_large: (err) => ({ status: 400, code: 'invalid_body', errors: err.issues }),
    too_many_providers: { status: 400, code: 'resource_capped' },
    provider_name_reserved: { status: 409, code: 'conflict' },
    provider_in_use: { status: 409, code: 'conflict' },
  },
  provider_repointing: {
    missing_scopes: { status: 403, code: 'forbidden' },
  },
  proxy: {
    unknown_provider_config: { status: 404, code: 'unknown_provider_config' },
    // Nango's answer for a connection it cannot find (§2.4).
    unknown_connection: { status: 400, code: 'server_error' },
    missing_base_url: { status: 400, code: 'missing_base_url' },
    base_url_override_not_allowed: { status: 400, code: 'base_url_override_not_allowed' },
    missing_connection_config: { status: 400, code: 'missing_connection_config' },
    unsupported_auth_mode: { status: 400, code: 'invalid_auth_mode' },
    host_not_allowed: { status: 400, code: 'host_not_allowed' },
    request_too_large: { status: 413, code: 'request_too_large' },
    response_too_large: { status: 502, code: 'response_too_large' },
    upstream_unreachable: { status: 502, code: 'provider_unavailable' },
    upstream_timeout: { status: 504, code: 'provider_timeout' },
  },
};

/** The answer to a domain error, or undefined for one the table does not know (a bug: answered as a 500). */
export function answerFor(err: DomainError): ApiError | undefined {
  const family: Record<string, Mapping<DomainError>> | undefined = Object.hasOwn(ERROR_TABLE, err.domain) ? (ERROR_TABLE as unknown as Record<string, Record<string, Mapping<DomainError>>>)[err.domain] : undefined;
  const mapping = family && Object.hasOwn(family, err.reason) ? family[err.reason] : undefined;
  if (!mapping) return undefined;
  const answer = typeof mapping === 'function' ? mapping(err) : mapping;
  const message = answer.message === null ? undefined : (answer.message ?? err.message);
  return new ApiError(answer.status, answer.code, message, answer.errors, answer.headers, answer.extra);
}
