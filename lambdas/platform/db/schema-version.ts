import type { SqlExecutor } from './data-api';

/** The highest applied migration (0 before any), in one idempotent statement. */
export async function schemaVersion(db: SqlExecutor): Promise<number> {
  const [row] = await db.query<{ schema_version: number | null }>('SELECT (SELECT max(version) FROM schema_migrations) AS schema_version', {}, { idempotent: true });
  return row?.schema_version ?? 0;
}
