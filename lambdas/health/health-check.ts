import type { SqlExecutor } from '../platform/db/data-api';
import { schemaVersion } from '../platform/db/schema-version';

export interface HealthReport {
  status: 'ok';
  database: { reachable: true; schemaVersion: number; latencyMs: number };
}

/** One statement: proves the path to PostgreSQL and reports the applied schema version. */
export async function checkHealth(db: SqlExecutor): Promise<HealthReport> {
  const started = Date.now();
  const version = await schemaVersion(db);
  return { status: 'ok', database: { reachable: true, schemaVersion: version, latencyMs: Date.now() - started } };
}
