import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';
import { retireOrphanConnections } from '../connections/connection-delete-store';
import { deleteRetiredIntegrations } from '../integrations/integration-store';
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
  const retired = await retireOrphanConnections(db, now, budget);
  const integrations = retired.complete ? await deleteRetiredIntegrations(db, now, budget) : { count: 0, complete: false };
  await auditSweep(db, 'orphans', { connections_retired: retired.count, integrations_deleted: integrations.count }, retired.count + integrations.count);
  return { orphanConnectionsRetired: retired.count, integrationsHardDeleted: integrations.count, orphansBudgetExhausted: integrations.complete ? 0 : 1 };
}
