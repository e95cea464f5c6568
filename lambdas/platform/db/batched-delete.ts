import type { SqlExecutor } from './data-api';
import type { Parameters } from './parameters';

export interface SweepBudget {
  /** Rows per statement: keeps each statement far inside the Data API's 45 s and 1 MiB limits. */
  batchSize: number;
  /** Rows per statement for the records sweeps (small rows, many of them); default RECORD_BATCH_SIZE. */
  recordBatchSize?: number;
  /** Stop starting new batches after this instant (epoch ms); the next run carries on. */
  deadline: number;
  /** Stop after this many batch statements in this run (tests interrupt sweeps with it). */
  maxBatches?: number;
  /** Batch statements run so far in this run (shared by every step of the sweep). */
  batchesRun?: number;
}

/** Measured: 5,000 records per statement take well under a second, far inside the 45 s limit (bench `sweeps`). */
export const RECORD_BATCH_SIZE = 5_000;

/** Whether another batch may start; counts it when it may. */
export function takeBatch(budget: SweepBudget): boolean {
  if (Date.now() >= budget.deadline) return false;
  if (budget.maxBatches !== undefined && (budget.batchesRun ?? 0) >= budget.maxBatches) return false;
  budget.batchesRun = (budget.batchesRun ?? 0) + 1;
  return true;
}

/**
 * Runs `sql` (which must act on at most `:batch_size` rows, picked with `FOR UPDATE SKIP LOCKED`
 * so that two runs at once share the work) until a batch comes back short or the budget is spent.
 * `complete` is false when the budget stopped it: rows may remain for the next run.
 */
export async function runBatches(db: SqlExecutor, sql: string, params: Parameters, batchSize: number, budget: SweepBudget): Promise<{ count: number; complete: boolean }> {
  let count = 0;
  while (takeBatch(budget)) {
    const { rowsAffected } = await db.execute(sql, { ...params, batch_size: batchSize });
    count += rowsAffected;
    if (rowsAffected < batchSize) return { count, complete: true };
  }
  return { count, complete: false };
}

/**
 * Deletes the rows `selectIds` picks, one batch per statement, until none are left or the budget is
 * spent. `FOR UPDATE SKIP LOCKED` in the selection lets two runs at once share the work instead of
 * blocking or double-counting. Returns how many rows this run deleted.
 */
export async function deleteInBatches(
  db: SqlExecutor,
  table: string,
  selectIds: string,
  params: Parameters,
  budget: SweepBudget,
): Promise<number> {
  const sql = `WITH doomed AS (${selectIds} LIMIT :batch_size FOR UPDATE SKIP LOCKED)
               DELETE FROM ${table} t USING doomed WHERE t.id = doomed.id`;
  return (await runBatches(db, sql, params, budget.batchSize, budget)).count;
}

/**
 * Records are found by a condition and acted on by their physical row address (a TID scan): no
 * join back through an index, whatever the planner thinks of the batch's size.
 */
export function recordsByCtid(where: string, lock: 'skip-locked' | 'none' = 'skip-locked'): string {
  return `ctid = ANY (ARRAY (SELECT ctid FROM records WHERE ${where} LIMIT :batch_size${lock === 'skip-locked' ? ' FOR UPDATE SKIP LOCKED' : ''}))`;
}

/**
 * Deletes need no row lock in the selection: a row another run deleted first is skipped when the
 * DELETE reaches it (it waits for that run's commit, then finds the row gone), so each row is
 * counted once; locking first would write every row twice. A batch that comes back short may then
 * leave rows another run is still deleting, so callers that finish with a cascade re-check.
 */
export const DELETE_BATCH_SIZE = 50_000;
