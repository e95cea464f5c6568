import type { SqlExecutor } from './data-api';
import { uuid, type Parameters } from './parameters';

/**
 * Generic SQL over one bytea column of any table (e.g. an encrypted one being re-encrypted):
 * pages of non-null values in id order, and a compare-and-set rewrite of a batch.
 */

/** Where the column lives; the names are plain SQL identifiers (checked). */
export interface ColumnRef {
  table: string;
  column: string;
  /** uuid primary key column. */
  idColumn: string;
  /** Column holding the environment id. */
  environmentColumn: string;
}

export interface ColumnValue {
  id: string;
  environment_id: string;
  value: Buffer;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

function identifier(name: string): string {
  if (!IDENTIFIER.test(name)) throw new TypeError(`Not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/** The next page after `after` (in id order): at most `limit` rows and `budgetBytes` of values, the first row always. */
export async function readColumnPage(db: SqlExecutor, ref: ColumnRef, after: string | undefined, limit: number, budgetBytes: number): Promise<ColumnValue[]> {
  const [table, column, id, environment] = [ref.table, ref.column, ref.idColumn, ref.environmentColumn].map(identifier);
  const params: Parameters = { limit, budget: budgetBytes };
  if (after !== undefined) params.after = uuid(after);
  return db.query<ColumnValue>(
    `SELECT id, environment_id, value FROM (
      SELECT ${id}::text AS id, ${environment}::text AS environment_id, ${column} AS value,
             sum(octet_length(${column})) OVER (ORDER BY ${id}) AS running
      FROM ${table}
      WHERE ${column} IS NOT NULL ${after !== undefined ? `AND ${id} > :after` : ''}
      ORDER BY ${id} LIMIT :limit
    ) page WHERE running <= :budget OR running = octet_length(value) ORDER BY id`,
    params,
  );
}

/** One statement for the whole batch; a row counts only if it still held the bytes we read. */
export async function compareAndSetColumn(db: SqlExecutor, ref: ColumnRef, updates: { id: string; old: Buffer; next: Buffer }[]): Promise<number> {
  const [table, column, id] = [ref.table, ref.column, ref.idColumn].map(identifier);
  const params: Parameters = {};
  const values = updates.map((u, i) => {
    params[`id${i}`] = uuid(u.id);
    params[`old${i}`] = u.old;
    params[`new${i}`] = u.next;
    return `(:id${i}, :old${i}, :new${i})`;
  });
  const { rowsAffected } = await db.execute(
    `UPDATE ${table} AS t SET ${column} = v.new_value
     FROM (VALUES ${values.join(', ')}) AS v(id, old_value, new_value)
     WHERE t.${id} = v.id AND t.${column} = v.old_value`,
    params,
  );
  return rowsAffected;
}
