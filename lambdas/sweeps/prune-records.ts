import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';
import { pruneRecordsBefore } from '../records/record-store';
import { auditSweep } from './sweep-audit';

/** Nango's rule: record payloads not updated for 30 days are pruned. */
export const PRUNE_AFTER_DAYS = 30;

export type PruneResult = { recordsPruned: number; pruneBudgetExhausted: number };

/**
 * Drops the payload of every record not updated for 30 days (due at exactly updated_at + 30 days),
 * keeping its id, hash and metadata, and sets `pruned_at`. The partial index on updated_at covers
 * only unpruned rows, so each batch finds the next ones directly; a pruned row leaves that index.
 */
export async function sweepPruneRecords(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<PruneResult> {
  const cutoff = new Date(now.getTime() - PRUNE_AFTER_DAYS * 86_400_000);
  const { count, complete } = await pruneRecordsBefore(db, now, cutoff, budget);
  await auditSweep(db, 'prune-records', { pruned: count, cutoff: cutoff.toISOString() }, count);
  return { recordsPruned: count, pruneBudgetExhausted: complete ? 0 : 1 };
}
