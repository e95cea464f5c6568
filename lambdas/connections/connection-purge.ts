import type { AuditBase } from '../audit/audit-event';
import type { SqlExecutor } from '../platform/db/data-api';
import type { SweepBudget } from '../platform/db/batched-delete';
import { erasePersonalData, markForPurge } from './connection-delete-store';
import { hardDeleteConnection } from './connection-hard-delete';
import { connectionEvent, softDeleteConnection, type ConnectionKey } from './connection-store';

export type PurgeOutcome = 'unknown_connection' | 'purged' | 'pending';

/**
 * `DELETE /connections/{id}?purge=true` (our extension, for GDPR erasure): soft-deletes the live
 * connection as a plain delete does (its webhook included), marks it and any earlier soft-deleted
 * connection with the same public ids for purging, audited, and hard-deletes them within the
 * request's budget, after pseudonymising the end user's e-mail and name in the webhook bodies and
 * audit details that outlive it (connection-delete-store.ts `erasePersonalData`). What the budget leaves (a connection with very many records) stays invisible
 * and is finished by the next `deleted-connections` sweep, which takes purged rows at once.
 */
export async function purgeConnection(db: SqlExecutor, key: ConnectionKey, now: Date, budget: SweepBudget, base: AuditBase): Promise<PurgeOutcome> {
  await softDeleteConnection(db, key, now, connectionEvent(base, key, 'connection.delete'));
  const marked = await markForPurge(db, key, now, connectionEvent(base, key, 'connection.purge'));
  if (marked.length === 0) return 'unknown_connection';
  await erasePersonalData(db, key);
  for (const id of marked) {
    const outcome = await hardDeleteConnection(db, { id, environmentId: key.environmentId, connectionId: key.connectionId, providerConfigKey: key.providerConfigKey }, now, budget, {
      actor: base.actor,
      request: base.request,
      reason: 'purge',
    });
    if (!outcome.complete) return 'pending';
  }
  return 'purged';
}
