/**
 * Why an envelope could not be opened. Short, fixed codes: safe for logs, metrics and API errors.
 *
 * - malformed: truncated or inconsistent envelope bytes
 * - unsupported-version: a format version this code does not know
 * - context-mismatch: the wrapped key belongs to another environment or purpose
 * - wrong-key: made under a KMS key other than the one named or trusted
 * - key-not-found / key-disabled / access-denied: KMS refused for that reason
 * - kms-rejected: KMS could not unwrap the data key (corrupt blob or encryption context mismatch)
 * - authentication-failed: the AES-GCM tag did not verify (tampered bytes or wrong row binding)
 * - not-json: decryptJson found authentic bytes that are not JSON
 */
export type DecryptionFailure =
  | 'malformed'
  | 'unsupported-version'
  | 'context-mismatch'
  | 'wrong-key'
  | 'key-not-found'
  | 'key-disabled'
  | 'access-denied'
  | 'kms-rejected'
  | 'authentication-failed'
  | 'not-json';

/**
 * The one error every decrypt failure becomes. It deliberately has no `cause`: KMS and OpenSSL
 * messages can echo input, and callers need only the reason.
 */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';

  constructor(readonly reason: DecryptionFailure) {
    super(`Decryption failed: ${reason}`);
  }

  toJSON(): { name: string; reason: DecryptionFailure; message: string } {
    return { name: this.name, reason: this.reason, message: this.message };
  }
}

const KMS_REASONS: Record<string, DecryptionFailure> = {
  InvalidCiphertextException: 'kms-rejected',
  IncorrectKeyException: 'wrong-key',
  InvalidKeyUsageException: 'wrong-key',
  NotFoundException: 'key-not-found',
  DisabledException: 'key-disabled',
  KMSInvalidStateException: 'key-disabled',
  AccessDeniedException: 'access-denied',
  ValidationException: 'malformed',
};

/**
 * A KMS Decrypt error as a DecryptionError when it is about this ciphertext; undefined for
 * transient or infrastructure errors (throttling after retries, 5xx, network), which the caller
 * must surface as a fault of ours, not as bad data.
 */
export function decryptionErrorFromKms(err: unknown): DecryptionError | undefined {
  const name = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
  // Own keys only: an error named 'toString' or 'constructor' is not a known KMS refusal.
  return Object.hasOwn(KMS_REASONS, name) ? new DecryptionError(KMS_REASONS[name]) : undefined;
}
