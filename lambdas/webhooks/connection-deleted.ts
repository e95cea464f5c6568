import type { Parameters } from '../platform/db/parameters';
import { newOutboxEvent, outboxSelectClause, type OutboxEvent } from '../platform/events/outbox';

/**
 * The `connection.deleted` webhook (our event, in the style of Nango's auth webhook, §4.1):
 *
 *   { from: 'nango', type: 'connection.deleted', connectionId, providerConfigKey, provider,
 *     environment, deletedAt, tags, endUser?: { endUserId, endUserEmail, organizationId?, tags } }
 *
 * Written by the statement that soft-deletes the connection, only when the environment's
 * `webhook_on_connection_deleted` is on. `gone` must be a CTE returning the deleted row's id,
 * connection_id, provider_config_key, tags and end_user_id, and `provider` (the integration's).
 */
export function connectionDeletedClause(environmentId: string, deletedAt: Date): { event: OutboxEvent; sql: string; params: Parameters } {
  const event = newOutboxEvent(environmentId, 'connection.deleted', {});
  const endUser = `CASE WHEN eu.id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('endUser',
      jsonb_build_object('endUserId', eu.end_user_id, 'endUserEmail', eu.email, 'tags', eu.tags)
      || CASE WHEN eu.organization_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('organizationId', eu.organization_id) END) END`;
  const clause = outboxSelectClause(event, {
    payloadSql: `jsonb_build_object('from', 'nango', 'type', 'connection.deleted', 'connectionId', g.connection_id,
        'providerConfigKey', g.provider_config_key, 'provider', g.provider, 'environment', e.name,
        'deletedAt', :deleted_event_at, 'tags', g.tags) || ${endUser}`,
    fromSql: 'gone g JOIN environments e ON e.id = :deleted_event_environment_id LEFT JOIN end_users eu ON eu.id = g.end_user_id',
    whereSql: 'e.webhook_on_connection_deleted',
    connectionIdSql: 'g.id',
  }, 'deleted_event');
  return { event, sql: clause.sql, params: { ...clause.params, deleted_event_at: deletedAt.toISOString() } };
}
