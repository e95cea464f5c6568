import { DomainError } from '../platform/domain-error';

/** Why an integration was not created, changed or deleted (Nango's rules, in Nango's words). */
export type IntegrationRefusal =
  | 'invalid_provider'
  | 'unique_key_exists'
  | 'incompatible_credentials'
  | 'missing_credentials'
  | 'not_found'
  | 'unknown_provider'
  | 'unique_key_taken'
  | 'has_connections';

const MESSAGES: Record<IntegrationRefusal, string> = {
  invalid_provider: 'Invalid provider',
  unique_key_exists: 'Unique key already exists',
  incompatible_credentials: 'incompatible credentials auth type and provider auth',
  missing_credentials: 'Missing credentials',
  not_found: 'Integration does not exist',
  unknown_provider: 'Unknown provider of this integration',
  unique_key_taken: 'uniqueKey is already used by another integration',
  has_connections: "Can't rename an integration with active connections",
};

/** A caller mistake. Never holds a secret. */
export class IntegrationError extends DomainError {
  readonly domain = 'integration';
  constructor(
    readonly reason: IntegrationRefusal,
    message = MESSAGES[reason],
  ) {
    super(message);
    this.name = 'IntegrationError';
  }
}
