import { DomainError, type FieldIssue } from '../platform/domain-error';
import type { UrlChange } from './provider-repointing';

export type ProviderRegistryRefusal =
  | 'invalid_provider_name'
  | 'provider_name_reserved'
  | 'invalid_provider'
  | 'provider_too_large'
  | 'too_many_providers'
  | 'provider_in_use';

/** A caller mistake with a custom provider. Messages never include definition values. */
export class ProviderRegistryError extends DomainError {
  readonly domain = 'provider_registry';
  constructor(
    readonly reason: ProviderRegistryRefusal,
    message: string,
    /** Validation issues of an invalid definition (paths and messages only). */
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ProviderRegistryError';
  }
}

/**
 * Moving the URLs of a provider in use without the scopes that could read the credentials the move
 * would send to the new hosts.
 */
export class RepointRefused extends DomainError {
  readonly domain = 'provider_repointing';
  readonly reason = 'missing_scopes';
  constructor(
    readonly missingScopes: string[],
    readonly changes: UrlChange[],
  ) {
    super(`Insufficient scope. Changing the URLs of a provider that integrations use requires: ${missingScopes.join(', ')}`);
    this.name = 'RepointRefused';
  }
}
