import type { SqlExecutor } from '../db/data-api';

/** SQL of `deployment_keys`: deployment-wide data keys, stored wrapped by KMS, one per purpose. */

export async function readWrappedKey(db: SqlExecutor, purpose: string): Promise<Buffer | undefined> {
  const [row] = await db.query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM deployment_keys WHERE purpose = :purpose', { purpose });
  return row?.wrapped_key;
}

/** Stores `wrapped` unless a key of this purpose exists; returns the stored one (the first insert wins). */
export async function insertWrappedKey(db: SqlExecutor, purpose: string, wrapped: Uint8Array): Promise<Buffer> {
  const [stored] = await db.query<{ wrapped_key: Buffer }>(
    `INSERT INTO deployment_keys (purpose, wrapped_key) VALUES (:purpose, :wrapped)
     ON CONFLICT (purpose) DO UPDATE SET purpose = EXCLUDED.purpose
     RETURNING wrapped_key`,
    { purpose, wrapped },
  );
  return stored.wrapped_key;
}
