import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { toTextArray, uuid } from '../platform/db/parameters';

/** SQL of `api_keys`: only a key's hash and last four characters are ever stored. */

export interface SecretKeyInfo {
  id: string;
  display_name: string;
  scopes: string[];
  /** The key's last four characters, for telling keys apart; the rest is never stored. */
  key_hint: string;
  created_at: Date;
  last_used_at: Date | null;
}

/** Inserts or re-activates a pinned key of the named environment; 0 when there is no such environment. */
export async function upsertPinnedKey(db: SqlExecutor, environmentName: string, keyHash: Buffer, keyHint: string): Promise<number> {
  const { rowsAffected } = await db.execute(
    `INSERT INTO api_keys (environment_id, display_name, key_hash, key_hint)
     SELECT id, 'default', :key_hash, :key_hint FROM environments WHERE name = :environment
     ON CONFLICT (key_hash) DO UPDATE SET revoked_at = NULL`,
    { key_hash: keyHash, key_hint: keyHint, environment: environmentName },
  );
  return rowsAffected;
}

export interface NewKey {
  id: string;
  environmentId: string;
  displayName: string;
  keyHash: Buffer;
  keyHint: string;
  scopes: string[];
  /** Active keys an environment may hold. */
  max: number;
}

/**
 * Inserts the key unless the environment is at `max` active keys or has an active one of that
 * name, with its audit row; the cap is checked in the same statement: no window between count and
 * write. Undefined when refused.
 */
export async function insertKeyUnderCap(db: SqlExecutor, key: NewKey, audit: AuditEvent): Promise<SecretKeyInfo | undefined> {
  const [row] = await runChange<SecretKeyInfo>(db, {
    with: `changed AS (INSERT INTO api_keys (id, environment_id, display_name, key_hash, key_hint, scopes)
     SELECT :id, :environment_id, :display_name, :key_hash, :key_hint, CAST(:scopes AS text[])
      WHERE (SELECT count(*) FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL) < :max
       AND NOT EXISTS (SELECT 1 FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL AND display_name = :display_name)
     RETURNING id, display_name, scopes, key_hint, created_at, last_used_at)`,
    select: 'SELECT * FROM changed',
    params: {
      id: uuid(key.id),
      environment_id: uuid(key.environmentId),
      display_name: key.displayName,
      key_hash: key.keyHash,
      key_hint: key.keyHint,
      scopes: toTextArray(key.scopes),
      max: key.max,
    },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit,
  });
  return row;
}

/** Active keys of the environment, and how many of them have this name. */
export async function countActiveKeys(db: SqlExecutor, environmentId: string, displayName: string): Promise<{ active: number; same_name: number }> {
  const [count] = await db.query<{ active: number; same_name: number }>(
    `SELECT count(*)::int AS active, count(*) FILTER (WHERE display_name = :display_name)::int AS same_name
       FROM api_keys WHERE environment_id = :environment_id AND revoked_at IS NULL`,
    { environment_id: uuid(environmentId), display_name: displayName },
  );
  return count;
}

export async function listSecretKeys(db: SqlExecutor, environmentId: string): Promise<SecretKeyInfo[]> {
  return db.query<SecretKeyInfo>(
    `SELECT id, display_name, scopes, key_hint, created_at, last_used_at FROM api_keys
      WHERE environment_id = :environment_id AND revoked_at IS NULL ORDER BY created_at, id`,
    { environment_id: uuid(environmentId) },
  );
}

/** The scopes of an active key of this environment; undefined when there is none. */
export async function activeKeyScopes(db: SqlExecutor, environmentId: string, keyId: string): Promise<string[] | undefined> {
  const [target] = await db.query<{ scopes: string[] }>(
    'SELECT scopes FROM api_keys WHERE id = :id AND environment_id = :environment_id AND revoked_at IS NULL',
    { id: uuid(keyId), environment_id: uuid(environmentId) },
  );
  return target?.scopes;
}

/** Revokes an active key of this environment, with its audit row; false when there was none. */
export async function revokeKey(db: SqlExecutor, environmentId: string, keyId: string, audit: AuditEvent): Promise<boolean> {
  const rows = await runChange(db, {
    with: 'changed AS (UPDATE api_keys SET revoked_at = now() WHERE id = :id AND environment_id = :environment_id AND revoked_at IS NULL RETURNING id)',
    select: 'SELECT * FROM changed',
    params: { id: uuid(keyId), environment_id: uuid(environmentId) },
    when: 'EXISTS (SELECT 1 FROM changed)',
    audit,
  });
  return rows.length === 1;
}

/** Authenticates a key by its hash and records the use, in one statement; undefined when no active key matches. */
export async function useKeyByHash(db: SqlExecutor, keyHash: Buffer): Promise<{ id: string; environment_id: string; environment_name: string; scopes: string[] } | undefined> {
  const [row] = await db.query<{ id: string; environment_id: string; environment_name: string; scopes: string[] }>(
    `UPDATE api_keys k SET last_used_at = now()
       FROM environments e
      WHERE k.key_hash = :hash AND k.revoked_at IS NULL AND e.id = k.environment_id
  RETURNING k.id, k.environment_id, e.name AS environment_name, k.scopes`,
    { hash: keyHash },
    // last_used_at only moves forward: a resend is harmless.
    { idempotent: true },
  );
  return row;
}
