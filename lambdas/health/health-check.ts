import type { SqlExecutor } from '../platform/db/data-api';

export interface HealthReport {
  status: 'ok';
  database: { reachable: true; schemaVersion: number; latencyMs: number };
}

/** One statement: proves the path to PostgreSQL and reports the applied schema version. */
export async function checkHealth(db: SqlExecutor): Promise<HealthReport> {
  const started = Date.now();
  const [row] = await db.query<{ schema_version: number | null }>('SELECT (SELECT max(version) FROM schema_migrations) AS schema_version', {}, { idempotent: true });
  return { status: 'ok', database: { reachable: true, schemaVersion: row?.schema_version ?? 0, latencyMs: Date.now() - started } };
}
