import { DomainError } from '../platform/domain-error';

/** The environment already holds as many active keys as it may. */
export class KeyLimitError extends DomainError {
  readonly domain = 'secret_key';
  readonly reason = 'limit_reached';
}

/** An active key already has this display name. */
export class DuplicateKeyNameError extends DomainError {
  readonly domain = 'secret_key';
  readonly reason = 'duplicate_name';
}
