import { randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import { hasScope } from '../auth/scopes';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import type { SqlExecutor } from '../platform/db/data-api';
import { activeKeyScopes, countActiveKeys, insertKeyUnderCap, revokeKey, upsertPinnedKey, type SecretKeyInfo } from './secret-key-store';
import { DuplicateKeyNameError, KeyLimitError } from './errors';

/** Nango's secret-key format: a UUID v4. */
export const SECRET_KEY_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** As Nango: up to 50 keys per environment, so rotation can overlap without limit abuse. */
export const MAX_KEYS_PER_ENVIRONMENT = 50;

export function newSecretKey(): string {
  return randomUUID();
}

/**
 * Makes sure `secretKey` is an active key of environment `environmentName` (idempotent): used by
 * `npm start` to pin the development key. Only the hash and the last four characters are stored.
 */
export async function ensureSecretKey(db: SqlExecutor, hasher: SecretHasher, environmentName: string, secretKey: string): Promise<void> {
  if (!SECRET_KEY_FORMAT.test(secretKey)) throw new Error('A secret key must be a UUID v4');
  const rowsAffected = await upsertPinnedKey(db, environmentName, hasher.hash(secretKey.toLowerCase()), secretKey.slice(-4));
  if (rowsAffected === 0) throw new Error(`Environment ${environmentName} does not exist`);
}

/** Creates a key; the plain secret is returned once and only its hash is kept. */
export async function createSecretKey(
  db: SqlExecutor,
  hasher: SecretHasher,
  environmentId: string,
  displayName: string,
  scopes: string[],
  audit: AuditBase,
): Promise<SecretKeyInfo & { secret: string }> {
  const secret = newSecretKey();
  const id = randomUUID();
  // The cap is checked in the same statement as the insert: no window between count and write.
  const row = await insertKeyUnderCap(
    db,
    { id, environmentId, displayName, keyHash: hasher.hash(secret), keyHint: secret.slice(-4), scopes, max: MAX_KEYS_PER_ENVIRONMENT },
    { ...audit, action: 'api_key.create', targetType: 'api_key', targetId: id, detail: { display_name: displayName, scopes } },
  );
  if (!row) {
    const count = await countActiveKeys(db, environmentId, displayName);
    if (count.same_name > 0) throw new DuplicateKeyNameError(`A key named "${displayName}" already exists`);
    throw new KeyLimitError(`An environment holds at most ${MAX_KEYS_PER_ENVIRONMENT} active keys`);
  }
  return { ...row, secret };
}

export type RevokeOutcome = 'revoked' | 'not_found' | 'insufficient_scope';

/**
 * Revokes a key of this environment. The caller's scopes must cover every scope of the target (a
 * key may end only what it could have created), so a narrow key cannot lock out a full-access
 * one; a key's scopes never change, so reading them first leaves no window.
 */
export async function revokeSecretKey(db: SqlExecutor, environmentId: string, keyId: string, callerScopes: readonly string[], audit: AuditBase): Promise<RevokeOutcome> {
  const scopes = await activeKeyScopes(db, environmentId, keyId);
  if (!scopes) return 'not_found';
  if (!scopes.every((scope) => hasScope(callerScopes, scope))) return 'insufficient_scope';
  const revoked = await revokeKey(db, environmentId, keyId, { ...audit, action: 'api_key.revoke', targetType: 'api_key', targetId: keyId });
  return revoked ? 'revoked' : 'not_found';
}
