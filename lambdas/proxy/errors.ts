import { DomainError } from '../platform/domain-error';

/** Why a proxied call was not made, or why its answer cannot be passed back. Messages never hold a credential or the upstream's body. */
export type ProxyFailure =
  | 'unknown_provider_config'
  | 'unknown_connection'
  /** The provider has no `proxy.base_url` and the call names no allowed override. */
  | 'missing_base_url'
  | 'base_url_override_not_allowed'
  /** A template of the provider needs a connection config value the connection lacks. */
  | 'missing_connection_config'
  /** Credentials we cannot inject (OAuth 1 signatures, TBA). */
  | 'unsupported_auth_mode'
  /** The target resolves to (or is) a private, loopback, link-local or metadata address. */
  | 'host_not_allowed'
  | 'request_too_large'
  | 'response_too_large'
  | 'upstream_unreachable'
  | 'upstream_timeout';

export class ProxyError extends DomainError {
  readonly domain = 'proxy';
  constructor(
    readonly reason: ProxyFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}
