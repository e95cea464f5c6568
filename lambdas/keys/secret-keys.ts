import { randomUUID } from 'node:crypto';
import { executeAudited } from '../audit/audit-log';
import type { AuditBase } from '../audit/audit-event';
import { hasScope } from '../auth/scopes';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import { DuplicateKeyNameError, KeyLimitError } from './errors';

/** Nango's secret-key format: a UUID v4. */
export const SECRET_KEY_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
/** As Nango: up to 50 keys per environment, so rotation can overlap without limit abuse. */
export const MAX_KEYS_PER_ENVIRONMENT = 50;

export function newSecretKey(): string {
  return randomUUID();
}

export interface SecretKeyInfo {
  id: string;
  display_name: string;
  scopes: string[];
  /** The key's last four characters, for telling keys apart; the rest is never stored. */
  key_hint: string;
  created_at: Date;
  last_used_at: Date | null;
}

/**
 * Makes sure `secretKey` is an active key of environment `environmentName` (idempotent): used by
 * `npm start` to pin the development key. Only the hash and the last four characters are stored.
 */
export async function ensureSecretKey(db: SqlExecutor, hasher: SecretHasher, environmentName: string, secretKey: string): Promise<void> {
  if (!SECRET_KEY_FORMAT.test(secretKey)) throw new Error('A secret key must be a UUID v4');
  const { rowsAffected } = await db.execute(
    `INSERT INTO api_keys (environment_id, display_name, key_hash, key_hint)
     SELECT id, 'default', :key_hash, :key_hint FROM environments WHERE name = :environment
     ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL`,
    { key_hash: hasher.hash(secretKey.toLowerCase()), key_hint: secretKey.slice(-4), environment: environmentName },
  );
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
  const [row] = await executeAudited<SecretKeyInfo>(
    db,
    `INSERT INTO api_keys (id, environment_id, display_name, key_hash, key_hint, scopes)
     SELECT :id, :environment_id, :display_name, :key_hash, :key_hint, CAST(:scopes AS text[])
      WHERE (SELECT count(*) FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL) < :max
       AND NOT EXISTS (SELECT 1 FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL AND display_name = :display_name)
     RETURNING id, display_name, scopes, key_hint, created_at, last_used_at`,
    {
      id: uuid(id),
      environment_id: uuid(environmentId),
      display_name: displayName,
      key_hash: hasher.hash(secret),
      key_hint: secret.slice(-4),
      scopes: toTextArray(scopes),
      max: MAX_KEYS_PER_ENVIRONMENT,
    },
    { ...audit, action: 'api_key.create', targetType: 'api_key', targetId: id, detail: { display_name: displayName, scopes } },
  );
  if (!row) {
    const [count] = await db.query<{ active: number; same_name: number }>(
      `SELECT count(*)::int AS active, count(*) FILTER (WHERE display_name = :display_name)::int AS same_name
         FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL`,
      { environment_id: uuid(environmentId), display_name: displayName },
    );
    if (count.same_name > 0) throw new DuplicateKeyNameError(`A key named "${displayName}" already exists`);
    throw new KeyLimitError(`An environment holds at most ${MAX_KEYS_PER_ENVIRONMENT} active keys`);
  }
  return { ...row, secret };
}

export async function listSecretKeys(db: SqlExecutor, environmentId: string): Promise<SecretKeyInfo[]> {
  return db.query<SecretKeyInfo>(
    `SELECT id, display_name, scopes, key_hint, created_at, last_used_at FROM api_keys
      WHERE environment_id = :environment_id AND revoked_at IS NULL ORDER BY created_at, id`,
    { environment_id: uuid(environmentId) },
  );
}

export type RevokeOutcome = 'revoked' | 'not_found' | 'insufficient_scope';

/**
 * Revokes a key of this environment. The caller's scopes must cover every scope of the target (a
 * key may end only what it could have created), so a narrow key cannot lock out a full-access
 * one; a key's scopes never change, so reading them first leaves no window.
 */
export async function revokeSecretKey(db: SqlExecutor, environmentId: string, keyId: string, callerScopes: readonly string[], audit: AuditBase): Promise<RevokeOutcome> {
  const params = { id: uuid(keyId), environment_id: uuid(environmentId) };
  const [target] = await db.query<{ scopes: string[] }>(
    'SELECT scopes FROM api_keys WHERE id = :id AND environment_id = :environment_id AND revoked_at IS NULL',
    params,
  );
  if (!target) return 'not_found';
  if (!target.scopes.every((scope) => hasScope(callerScopes, scope))) return 'insufficient_scope';
  const rows = await executeAudited(
    db,
    'UPDATE api_keys SET revoked_at = now() WHERE id = :id AND environment_id = :environment_id AND revoked_at IS NULL RETURNING id',
    params,
    { ...audit, action: 'api_key.revoke', targetType: 'api_key', targetId: keyId },
  );
  return rows.length === 1 ? 'revoked' : 'not_found';
}



/** The Data API has no array parameters: arrays travel as a PostgreSQL array literal. */
export function toTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
