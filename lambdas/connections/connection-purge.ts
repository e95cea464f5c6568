import { auditClause, emitAfterCommit } from '../audit/audit-log';
import type { AuditBase } from '../audit/audit-event';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import type { SweepBudget } from '../platform/db/batched-delete';
import { hardDeleteConnection } from './connection-hard-delete';
import { connectionEvent, softDeleteConnection, type ConnectionKey } from './connection-store';
import { erasePersonalData } from './personal-data';

export type PurgeOutcome = 'unknown_connection' | 'purged' | 'pending';

/**
 * `DELETE /connections/{id}?purge=true` (our extension, for GDPR erasure): soft-deletes the live
 * connection as a plain delete does (its webhook included), marks it and any earlier soft-deleted
 * connection with the same public ids for purging, audited, and hard-deletes them within the
 * request's budget, after pseudonymising the end user's e-mail and name in the webhook bodies and
 * audit details that outlive it (personal-data.ts). What the budget leaves (a connection with very many records) stays invisible
 * and is finished by the next `deleted-connections` sweep, which takes purged rows at once.
 */
export async function purgeConnection(db: SqlExecutor, key: ConnectionKey, now: Date, budget: SweepBudget, base: AuditBase): Promise<PurgeOutcome> {
  await softDeleteConnection(db, key, now, connectionEvent(base, key, 'connection.delete'));
  const event = connectionEvent(base, key, 'connection.purge');
  const clause = auditClause(event, 'EXISTS (SELECT 1 FROM marked)', '(SELECT min(id::text) FROM marked)');
  const marked = await db.query<{ id: string }>(
    `WITH marked AS (
       UPDATE connections SET purge_requested_at = COALESCE(purge_requested_at, :now)
        WHERE environment_id = :environment_id AND provider_config_key = :provider_config_key AND connection_id = :connection_id
          AND deleted_at IS NOT NULL
       RETURNING id
     )${clause.sql}
     SELECT id FROM marked`,
    { environment_id: uuid(key.environmentId), provider_config_key: key.providerConfigKey, connection_id: key.connectionId, now, ...clause.params },
  );
  if (marked.length === 0) return 'unknown_connection';
  emitAfterCommit(event);
  await erasePersonalData(db, key);
  for (const { id } of marked) {
    const outcome = await hardDeleteConnection(db, { id, environmentId: key.environmentId, connectionId: key.connectionId, providerConfigKey: key.providerConfigKey }, now, budget, {
      actor: base.actor,
      request: base.request,
      reason: 'purge',
    });
    if (!outcome.complete) return 'pending';
  }
  return 'purged';
}
