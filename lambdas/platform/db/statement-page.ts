/*
 * One statement of a keyset listing that stays inside the Data API's 1 MiB response: the rows of
 * `select` (ordered, `LIMIT :fetch`, each with its estimated wire size as `row_bytes`) are kept
 * while their running size is within STATEMENT_BUDGET_BYTES, the first always. Reading one row
 * more than wanted tells whether rows follow, without a count.
 */

/** What one statement's rows may add up to (the Data API answers at most 1,048,576 bytes, column metadata included). */
const STATEMENT_BUDGET_BYTES = 900_000;

/**
 * `select` must yield `row_bytes` and end in `ORDER BY <order> LIMIT :fetch`; binds `:budget`
 * (see statementParams). The answer's rows carry `fetched`, for statementRows.
 */
export function budgetedStatement(select: string, order: string): string {
  return `SELECT * FROM (
     SELECT page.*, count(*) OVER () AS fetched,
            sum(page.row_bytes) OVER (ORDER BY ${order} ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_bytes,
            row_number() OVER (ORDER BY ${order}) AS position
       FROM (${select}) page
   ) counted
   WHERE running_bytes <= :budget OR position = 1
   ORDER BY ${order}`;
}

/**
 * Rows one statement asks for: those wanted, but no more than the budget holds at `minRowBytes`
 * each (the least a row's estimate can be), so the planner sees a small LIMIT and a statement
 * never reads rows the budget would drop.
 */
function statementRowCap(wanted: number, minRowBytes: number): number {
  return Math.max(1, Math.min(wanted, Math.floor(STATEMENT_BUDGET_BYTES / minRowBytes)));
}

/** `:fetch` and `:budget` for `rows` wanted, rows estimated at `minRowBytes` at least. */
export function statementParams(rows: number, minRowBytes: number): { fetch: number; budget: number } {
  return { fetch: statementRowCap(rows, minRowBytes) + 1, budget: STATEMENT_BUDGET_BYTES };
}

/** The rows read (at most those wanted), and whether more follow (fetched past them, or cut by the budget). */
export function statementRows<R>(rows: (R & { fetched: number })[], wanted: number, minRowBytes: number): { rows: R[]; more: boolean } {
  const kept = rows.slice(0, statementRowCap(wanted, minRowBytes));
  return { rows: kept, more: (rows[0]?.fetched ?? 0) > kept.length };
}
