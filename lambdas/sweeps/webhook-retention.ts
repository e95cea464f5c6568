import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';
import { deleteSettledEventsBefore } from '../platform/events/outbox-store';
import { auditSweep } from './sweep-audit';

export type WebhookRetentionResult = {
  webhookEventsDeleted: number;
};

/**
 * Deletes outbox events (with their deliveries and attempt logs, which cascade) created before the
 * retention period, once nothing is left to do for them: skipped, or every delivery delivered or
 * dead. A dead delivery stays replayable until then. Events still pending or retrying are kept
 * whatever their age, so a slow receiver never loses one to this sweep.
 */
export async function sweepWebhookRetention(db: SqlExecutor, now: Date, retentionDays: number, budget: SweepBudget): Promise<WebhookRetentionResult> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const webhookEventsDeleted = await deleteSettledEventsBefore(db, cutoff, budget);
  await auditSweep(db, 'webhook-retention', { deleted: webhookEventsDeleted, cutoff: cutoff.toISOString(), retentionDays }, webhookEventsDeleted);
  return { webhookEventsDeleted };
}
