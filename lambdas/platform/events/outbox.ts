import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../db/data-api';
import { json, uuid, type Parameters } from '../db/parameters';
import { currentRequestScope } from '../observability/request-scope';

/*
 * The transactional outbox (DESIGN.md "Data flow"): a domain event is written in the same
 * statement or transaction as the change it reports, so an event exists exactly when its change
 * committed. Publishing to EventBridge and delivery happen afterwards (lambdas/webhooks); a
 * scheduled re-drive picks up whatever a crashed or failed publish left behind.
 */

/** Event types, as stored in `outbox.event_type` and used as the EventBridge detail-type. */
export const OUTBOX_EVENT_TYPES = ['auth', 'connection.deleted'] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

export interface OutboxEvent {
  /** Stable event id: the outbox row id, sent with every delivery so receivers can de-duplicate. */
  id: string;
  environmentId: string;
  type: OutboxEventType;
  /** The webhook body as it will be delivered (Nango's shape for `auth`); never holds a credential. */
  payload: Record<string, unknown>;
  /** Per-connection webhook target for events that have no connection row (failed creations). */
  webhookUrlOverride?: string | null;
}

export function newOutboxEvent(environmentId: string, type: OutboxEventType, payload: Record<string, unknown>, webhookUrlOverride?: string | null): OutboxEvent {
  return { id: randomUUID(), environmentId, type, payload, webhookUrlOverride };
}

function values(event: OutboxEvent, prefix: string, connectionIdSql: string | undefined): { sql: string; params: Parameters } {
  const sql = [`:${prefix}id`, `:${prefix}environment_id`, connectionIdSql ?? 'NULL::uuid', `:${prefix}event_type`, `:${prefix}payload`].join(', ');
  const params: Parameters = {
    [`${prefix}id`]: uuid(event.id),
    [`${prefix}environment_id`]: uuid(event.environmentId),
    [`${prefix}event_type`]: event.type,
    [`${prefix}payload`]: json(withOverride(event)),
  };
  return { sql, params };
}

/** A failed creation has no connection row to carry the override: the payload row keeps it, out of the delivered body. */
function withOverride(event: OutboxEvent): Record<string, unknown> {
  return event.webhookUrlOverride ? { ...event.payload, _webhook_url_override: event.webhookUrlOverride } : event.payload;
}

const COLUMNS = 'id, environment_id, connection_id, event_type, payload';

/**
 * `, <name> AS (INSERT INTO outbox …)` to splice after a statement's last CTE (like auditClause),
 * or nothing without an event. `when` is a condition over the statement's CTEs; `connectionIdSql`
 * names the connection row (e.g. `(SELECT id FROM written)`). Call `publishAfterCommit` once the
 * statement (or its transaction) has committed and the event really happened.
 */
export function outboxClause(event: OutboxEvent | undefined, when: string, connectionIdSql?: string, name = 'outbox_event'): { sql: string; params: Parameters } {
  if (!event) return { sql: '', params: {} };
  const { sql, params } = values(event, `${name}_`, connectionIdSql);
  return { sql: `, ${name} AS (INSERT INTO outbox (${COLUMNS}) SELECT ${sql} WHERE ${when})`, params };
}

/** Writes one event as its own statement (inside the caller's transaction when given one). */
export async function recordOutboxEvent(db: SqlExecutor, event: OutboxEvent, connectionRowId?: string): Promise<void> {
  const { sql, params } = values(event, 'outbox_', connectionRowId ? ':outbox_connection_id' : undefined);
  await db.execute(`INSERT INTO outbox (${COLUMNS}) VALUES (${sql})`, { ...params, ...(connectionRowId ? { outbox_connection_id: uuid(connectionRowId) } : {}) });
  publishAfterCommit(event);
}

/**
 * Queues the event for publishing when the request succeeds (after commit). Outside a request
 * scope (scripts) nothing is queued: the scheduled re-drive publishes it.
 */
export function publishAfterCommit(event: OutboxEvent): void {
  currentRequestScope()?.outboxEvents.push(event);
}

/**
 * Like outboxClause, for bodies built from the statement's own rows: `payloadSql` is a jsonb
 * expression over `fromSql` (e.g. the deleted connection joined to its environment). The CTE
 * returns the row id, so the statement can say whether the event was written (`EXISTS (SELECT 1
 * FROM <name>)`) before the caller calls publishAfterCommit.
 */
export function outboxSelectClause(
  event: Pick<OutboxEvent, 'id' | 'environmentId' | 'type'>,
  select: { payloadSql: string; fromSql: string; whereSql: string; connectionIdSql?: string },
  name = 'outbox_event',
): { sql: string; params: Parameters } {
  const p = `${name}_`;
  const sql = `, ${name} AS (INSERT INTO outbox (${COLUMNS})
      SELECT :${p}id, :${p}environment_id, ${select.connectionIdSql ?? 'NULL::uuid'}, :${p}event_type, ${select.payloadSql}
        FROM ${select.fromSql} WHERE ${select.whereSql} RETURNING id)`;
  return { sql, params: { [`${p}id`]: uuid(event.id), [`${p}environment_id`]: uuid(event.environmentId), [`${p}event_type`]: event.type } };
}
