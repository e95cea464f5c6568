import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DataApi } from './data-api';
import type { DatabaseError } from './errors';
import { splitSqlStatements } from './sql-script';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationReport {
  applied: number[];
  current: number;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;
/** Any constant both runners agree on: serialises concurrent deploys and `npm start`s. */
const LOCK_KEY = 7_420_911;
const UNDEFINED_TABLE = '42P01';

/** Where the SQL files are: beside this module in the source tree, and copied beside the bundle. */
export const DEFAULT_MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/**
 * One hash over every file of the migrations folder (names and contents). The stack puts it in the
 * migrations resource's properties and the deploy-time handler compares it with its own bundle.
 */
export function migrationsHash(dir = DEFAULT_MIGRATIONS_DIR): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update('\0').update(fs.readFileSync(path.join(dir, file))).update('\0');
  return hash.digest('hex');
}

/** Reads `NNNN_name.sql` files in version order; gaps and duplicates are errors. */
export function loadMigrations(dir = DEFAULT_MIGRATIONS_DIR): Migration[] {
  const migrations = fs
    .readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = FILE_NAME.exec(file);
      if (!match) throw new Error(`Migration file ${file} is not named NNNN_snake_case.sql`);
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      return { version: Number(match[1]), name: match[2], sql, checksum: createHash('sha256').update(sql).digest('hex') };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`Migrations must be numbered 1, 2, 3...; found ${m.version} at position ${i + 1}`);
  });
  return migrations;
}

/**
 * Applies pending migrations, each in its own transaction under an advisory lock, so two runners
 * at once apply each migration exactly once. An applied migration whose file changed is an error:
 * history is append-only.
 */
export async function migrate(db: DataApi, migrations: Migration[] = loadMigrations()): Promise<MigrationReport> {
  const known = await appliedChecksums(db);
  const applied: number[] = [];
  for (const migration of migrations) {
    if (known.has(migration.version)) {
      assertUnchanged(migration, known.get(migration.version) as string);
      continue;
    }
    const didApply = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(:key)', { key: LOCK_KEY });
      // Another runner may have applied it while we waited for the lock.
      const [existing] = await tx.query<{ checksum: string }>('SELECT checksum FROM schema_migrations WHERE version = :version', {
        version: migration.version,
      });
      if (existing) {
        assertUnchanged(migration, existing.checksum);
        return false;
      }
      for (const statement of splitSqlStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES (:version, :name, :checksum)', {
        version: migration.version,
        name: migration.name,
        checksum: migration.checksum,
      });
      return true;
    });
    if (didApply) applied.push(migration.version);
  }
  return { applied, current: migrations.at(-1)?.version ?? 0 };
}

/**
 * Version → checksum of what is applied. The common case (table exists) is one statement; the
 * first run creates the table under the lock, since two concurrent CREATE TABLE IF NOT EXISTS
 * can still collide in PostgreSQL's catalog.
 */
async function appliedChecksums(db: DataApi): Promise<Map<number, string>> {
  try {
    const rows = await db.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations');
    return new Map(rows.map((r) => [r.version, r.checksum]));
  } catch (err) {
    if ((err as DatabaseError).sqlState !== UNDEFINED_TABLE) throw err;
  }
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(:key)', { key: LOCK_KEY });
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });
  return new Map();
}

function assertUnchanged(migration: Migration, appliedChecksum: string): void {
  if (appliedChecksum !== migration.checksum) {
    throw new Error(`Migration ${migration.version}_${migration.name} was changed after it was applied; add a new migration instead`);
  }
}
