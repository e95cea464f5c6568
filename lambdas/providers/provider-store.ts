import type { SqlExecutor } from '../platform/db/data-api';
import { json, uuid } from '../platform/db/parameters';
import { budgetedStatement, statementParams, statementRows } from '../platform/db/statement-page';

/** SQL of `providers`: an environment's custom provider definitions (provider-registry.ts validates them). */

export interface ProviderRow {
  name: string;
  definition: unknown;
  created_at: Date;
  updated_at: Date;
}

const ROW = 'name, definition, created_at, updated_at';

export async function findCustomProvider(db: SqlExecutor, environmentId: string, name: string): Promise<ProviderRow | undefined> {
  const [row] = await db.query<ProviderRow>(`SELECT ${ROW} FROM providers WHERE environment_id = :environment_id AND name = :name`, {
    environment_id: uuid(environmentId),
    name,
  });
  return row;
}

/** A row's share of a statement besides its definition (see statement-page.ts). */
const PROVIDER_ROW_FIXED_BYTES = 256;

/**
 * One statement of the environment's custom providers by name (byte order, as the catalog is
 * sorted), within the statement budget: up to `rows` after `after`, and whether more follow;
 * `needle` (lowercase, '' for all) matches name or display name.
 */
export async function listCustomProviders(db: SqlExecutor, environmentId: string, needle: string, after: string | undefined, rows: number): Promise<{ rows: ProviderRow[]; more: boolean }> {
  const found = await db.query<ProviderRow & { fetched: number }>(
    budgetedStatement(
      `SELECT ${ROW}, 2 * octet_length(definition::text) + ${PROVIDER_ROW_FIXED_BYTES} AS row_bytes FROM providers
        WHERE environment_id = :environment_id AND name COLLATE "C" > :after
          AND (:needle = '' OR strpos(lower(name), :needle) > 0 OR strpos(lower(definition->>'display_name'), :needle) > 0)
        ORDER BY name COLLATE "C" LIMIT :fetch`,
      'name COLLATE "C"',
    ),
    { environment_id: uuid(environmentId), needle, after: after ?? '', ...statementParams(rows, PROVIDER_ROW_FIXED_BYTES) },
    { idempotent: true },
  );
  return statementRows(found, rows, PROVIDER_ROW_FIXED_BYTES);
}

/** The stored definition (row-locked until the caller's transaction ends) and whether a live integration uses it. */
export async function lockCustomProvider(db: SqlExecutor, environmentId: string, name: string): Promise<{ definition: unknown; inUse: boolean }> {
  const [row] = await db.query<{ definition: unknown; in_use: boolean }>(
    `SELECT (SELECT definition FROM providers WHERE environment_id = :environment_id AND name = :name FOR UPDATE) AS definition,
            EXISTS (SELECT 1 FROM integrations WHERE environment_id = :environment_id AND provider = :name AND deleted_at IS NULL) AS in_use`,
    { environment_id: uuid(environmentId), name },
  );
  return { definition: row?.definition ?? undefined, inUse: row?.in_use ?? false };
}

/**
 * Creates or replaces a definition; undefined when the environment is at `max`. One statement: the
 * cap counts the environment's other providers, so replacing one at the cap still works;
 * `xmax = 0` tells an insert from an update.
 */
export async function upsertCustomProvider(
  db: SqlExecutor,
  environmentId: string,
  name: string,
  definition: Record<string, unknown>,
  max: number,
): Promise<{ created: boolean; created_at: Date; updated_at: Date } | undefined> {
  const [row] = await db.query<{ created: boolean; created_at: Date; updated_at: Date }>(
    `INSERT INTO providers (environment_id, name, definition)
     SELECT :environment_id, :name, :definition
     WHERE (SELECT count(*) FROM providers WHERE environment_id = :environment_id AND name <> :name) < :max
     ON CONFLICT (environment_id, name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()
     RETURNING (xmax = 0) AS created, created_at, updated_at`,
    { environment_id: uuid(environmentId), name, definition: json(definition), max },
  );
  return row;
}

/** Deletes the definition unless a live integration uses it, in one statement. */
export async function deleteUnusedCustomProvider(db: SqlExecutor, environmentId: string, name: string): Promise<{ found: boolean; in_use: boolean; deleted: boolean }> {
  const [row] = await db.query<{ found: boolean; in_use: boolean; deleted: boolean }>(
    `WITH in_use AS (
       SELECT 1 FROM integrations WHERE environment_id = :environment_id AND provider = :name AND deleted_at IS NULL LIMIT 1
     ), deleted AS (
       DELETE FROM providers WHERE environment_id = :environment_id AND name = :name AND NOT EXISTS (SELECT 1 FROM in_use) RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM providers WHERE environment_id = :environment_id AND name = :name) AS found,
            EXISTS (SELECT 1 FROM in_use) AS in_use,
            EXISTS (SELECT 1 FROM deleted) AS deleted`,
    { environment_id: uuid(environmentId), name },
  );
  return row;
}
