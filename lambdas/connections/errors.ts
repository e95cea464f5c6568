import type { DecryptionFailure } from '../platform/crypto/decryption-error';
import { DomainError } from '../platform/domain-error';

/**
 * Why a GitHub App installation token was not minted (app-installation-token.ts). Neither the key,
 * the JWT nor a token is ever in the message.
 */
export type AppTokenFailure =
  /** The integration's key is missing or unusable, or the token URL cannot be built or is refused by the network policy: the caller's configuration. */
  | 'app_config'
  /** The provider answered 4xx (unknown installation, bad app id, key of another app). */
  | 'app_refused'
  /** The provider could not be reached, timed out, or answered 3xx/5xx, too much, or without a token: worth retrying. */
  | 'app_unavailable';

export class AppTokenError extends DomainError {
  readonly domain = 'app_token';
  constructor(
    readonly reason: AppTokenFailure,
    message: string,
  ) {
    super(message);
    this.name = 'AppTokenError';
  }
}

export type ImportRefusalReason = 'unknown_integration' | 'unknown_provider' | 'auth_mode_mismatch' | 'app_id_mismatch';

/** Why an import was refused; messages are Nango's where Nango has one, and never hold a credential. */
export class ImportRefusal extends DomainError {
  readonly domain = 'connection_import';
  constructor(
    readonly reason: ImportRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'ImportRefusal';
  }
}

/**
 * A stored envelope did not open (tampered, copied from another row, key trouble). Carries only
 * the connection's row id and the decryption failure, never ciphertext or plaintext.
 */
export class UnreadableCredentialsError extends DomainError {
  readonly domain = 'connection_credentials';
  readonly reason = 'unreadable';
  constructor(
    readonly rowId: string,
    /** Why the envelope did not open: one of the decryption error's fixed codes, so the message is safe to log. */
    readonly failure: DecryptionFailure,
  ) {
    super(`Credentials of connection row ${rowId} could not be decrypted: ${failure}`);
    this.name = 'UnreadableCredentialsError';
  }
}
