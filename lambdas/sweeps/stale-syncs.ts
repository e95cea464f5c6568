import type { SqlExecutor } from '../platform/db/data-api';
import { DELETE_BATCH_SIZE, takeBatch, type SweepBudget } from '../platform/db/batched-delete';
import { deleteStaleSyncRecords, findStaleSyncs, markSyncReset } from '../records/sync-store';
import { auditSweep } from './sweep-audit';

/** Nango's rule: records of syncs not run for 60 days are deleted. */
export const STALE_SYNC_DAYS = 60;
const SYNCS_PER_LOOKUP = 100;

export type StaleSyncsResult = { staleSyncsReset: number; staleSyncRecordsDeleted: number; staleSyncsBudgetExhausted: number };

/**
 * Deletes every record of each sync whose last execution (a run reported or records written) is
 * 60 days old or more; the sync itself stays, and its next run starts from nothing. Each delete
 * re-checks the sync's staleness, so a sync that runs again meanwhile keeps what it writes.
 */
export async function sweepStaleSyncs(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<StaleSyncsResult> {
  const cutoff = new Date(now.getTime() - STALE_SYNC_DAYS * 86_400_000);
  const batchSize = budget.recordBatchSize ?? DELETE_BATCH_SIZE;
  let reset = 0;
  let deleted = 0;
  let complete = false;
  const seen = new Set<string>();
  outer: while (takeBatch(budget)) {
    const syncs = await findStaleSyncs(db, cutoff, SYNCS_PER_LOOKUP);
    // A sync another run is working on (rows locked) shows up again: done once everything left was seen.
    const fresh = syncs.filter((s) => !seen.has(`${s.connection_id}/${s.name}`));
    if (fresh.length === 0) {
      complete = true;
      break;
    }
    for (const sync of fresh) {
      seen.add(`${sync.connection_id}/${sync.name}`);
      const result = await deleteStaleSyncRecords(db, sync, cutoff, batchSize, budget);
      deleted += result.count;
      if (!result.complete) break outer;
      const rowsAffected = await markSyncReset(db, sync, cutoff, now);
      reset += rowsAffected;
    }
  }
  await auditSweep(db, 'stale-syncs', { syncs: reset, deleted, cutoff: cutoff.toISOString() }, deleted);
  return { staleSyncsReset: reset, staleSyncRecordsDeleted: deleted, staleSyncsBudgetExhausted: complete ? 0 : 1 };
}
