import type { SqlExecutor } from '../platform/db/data-api';
import { runBatches, type SweepBudget } from '../platform/db/batched-delete';
import { auditSweep } from './sweep-audit';

export type OrphansResult = { orphanConnectionsRetired: number; integrationsHardDeleted: number; orphansBudgetExhausted: number };

/**
 * Data left behind by deleted integrations. Their live connections (none normally: deleting an
 * integration soft-deletes them in the same statement) are soft-deleted as of the integration's
 * deletion, so the connection rule hard-deletes them (records, credentials, end users) on its
 * clock. The integration row itself (its one-time OAuth sessions cascade) goes once the
 * environment's retention has passed and no connection row points to it any more.
 */
export async function sweepOrphans(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<OrphansResult> {
  const retired = await runBatches(
    db,
    `UPDATE connections c SET deleted_at = i.deleted_at, updated_at = :now
       FROM integrations i
      WHERE i.id = c.integration_id AND c.id IN (
        SELECT c2.id FROM connections c2 JOIN integrations i2 ON i2.id = c2.integration_id
         WHERE c2.deleted_at IS NULL AND i2.deleted_at IS NOT NULL AND i2.deleted_at <= :now
         LIMIT :batch_size FOR UPDATE OF c2 SKIP LOCKED)`,
    { now },
    budget.batchSize,
    budget,
  );
  const integrations = retired.complete
    ? await runBatches(
        db,
        `DELETE FROM integrations WHERE id IN (
           SELECT i.id FROM integrations i JOIN environments e ON e.id = i.environment_id
            WHERE i.deleted_at IS NOT NULL AND i.deleted_at + make_interval(days => e.connection_retention_days) <= :now
              AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.integration_id = i.id)
            LIMIT :batch_size FOR UPDATE OF i SKIP LOCKED)`,
        { now },
        budget.batchSize,
        budget,
      )
    : { count: 0, complete: false };
  await auditSweep(db, 'orphans', { connections_retired: retired.count, integrations_deleted: integrations.count }, retired.count + integrations.count);
  return { orphanConnectionsRetired: retired.count, integrationsHardDeleted: integrations.count, orphansBudgetExhausted: integrations.complete ? 0 : 1 };
}
