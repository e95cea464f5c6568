import type { SqlExecutor } from '../db/data-api';
import type { Parameters } from '../db/parameters';

export interface SweepBudget {
  /** Rows per statement: keeps each statement far inside the Data API's 45 s and 1 MiB limits. */
  batchSize: number;
  /** Stop starting new batches after this instant (epoch ms); the next run carries on. */
  deadline: number;
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
  let deleted = 0;
  while (Date.now() < budget.deadline) {
    const { rowsAffected } = await db.execute(sql, { ...params, batch_size: budget.batchSize });
    deleted += rowsAffected;
    if (rowsAffected < budget.batchSize) break;
  }
  return deleted;
}
