import { randomUUID } from 'node:crypto';
import type { SecretHasher } from '../crypto/secret-hash';
import type { SqlExecutor } from '../db/data-api';

/** Nango's secret-key format: a UUID v4. */
export const SECRET_KEY_FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function newSecretKey(): string {
  return randomUUID();
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
