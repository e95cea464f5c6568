import { DomainError, type FieldIssue } from '../platform/domain-error';

/** Why a connect session was not created; the issues name the fields of the request body at fault. */
export type ConnectSessionRefusal =
  /** Integrations the body names do not exist. */
  | 'unknown_integrations'
  /** The connection a reconnect session targets does not exist (or is of another integration). */
  | 'unknown_connection'
  /** `connection_config.webhook_url` is not an http(s) URL. */
  | 'invalid_webhook_url';

export class ConnectSessionError extends DomainError {
  readonly domain = 'connect_session';
  constructor(
    readonly reason: ConnectSessionRefusal,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ConnectSessionError';
  }
}
