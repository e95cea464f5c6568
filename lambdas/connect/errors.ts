import { DomainError } from '../platform/domain-error';

/**
 * Why a connect flow failed. The reasons are Nango's error types: the connect domain reports them in
 * the failed `auth` webhook and the `connect.failure` audit row, and the callback page shows them.
 */
export type ConnectFailure =
  /** The session was deleted or expired after authentication. */
  | 'unknown_connect_session_token'
  | 'integration_not_allowed'
  /** The connection a reconnect session targets is gone. */
  | 'invalid_connection'
  | 'unknown_provider_config'
  | 'unknown_provider_template'
  | 'invalid_auth_mode'
  | 'invalid_connection_config'
  | 'missing_connection_config'
  /** A parameter only the backend may set, or half of a pair. */
  | 'invalid_query_params'
  | 'host_not_allowed'
  | 'connection_test_failed'
  | 'provider_config_err'
  | 'invalid_state'
  | 'connect_session_expired'
  | 'state_cookie_err'
  | 'callback_err'
  | 'token_exchange_failed';

export class ConnectError extends DomainError {
  readonly domain = 'connect';
  constructor(
    readonly reason: ConnectFailure,
    message: string,
    /** The provider could not be reached or failed on its side (not the end user's doing; worth retrying). */
    readonly providerUnavailable = false,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}
