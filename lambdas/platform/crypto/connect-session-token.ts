import { randomBytes } from 'node:crypto';

/**
 * Connect-session tokens in Nango's format: the prefix and 32 random bytes as 64 lowercase hex.
 * Only their SecretHasher hash is stored (connect_sessions.token_hash).
 */
export const CONNECT_SESSION_TOKEN_PREFIX = 'nango_connect_session_';

const FORMAT = /^nango_connect_session_[0-9a-f]{64}$/;

export function newConnectSessionToken(): string {
  return CONNECT_SESSION_TOKEN_PREFIX + randomBytes(32).toString('hex');
}

/** Strict: exact prefix, exactly 64 lowercase hex characters, nothing around them. */
export function isConnectSessionToken(value: unknown): value is string {
  return typeof value === 'string' && FORMAT.test(value);
}
