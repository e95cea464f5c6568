import { deleteInBatches, type SweepBudget } from '../db/batched-delete';
import type { SqlExecutor } from '../db/data-api';
import { json, uuid, type Parameters } from '../db/parameters';
import type { OutboxEvent } from './outbox-event';
import { publishAfterCommit } from './publisher';

/** SQL of the `outbox` table: rows written with the change they report (outbox-event.ts). */

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
 * `<name> AS (INSERT INTO outbox …)`, a CTE for the statement that makes the change. `when` is a
 * condition over the statement's CTEs; `connectionIdSql` names the connection row (e.g.
 * `(SELECT id FROM written)`).
 */
export function outboxCte(name: string, event: OutboxEvent, when: string, connectionIdSql?: string): { sql: string; params: Parameters } {
  const { sql, params } = values(event, `${name}_`, connectionIdSql);
  return { sql: `${name} AS (INSERT INTO outbox (${COLUMNS}) SELECT ${sql} WHERE ${when})`, params };
}

/** What a body built from the statement's own rows is made of: `payloadSql`, a jsonb expression over `fromSql`, where `whereSql` holds. */
export interface OutboxSelect {
  payloadSql: string;
  fromSql: string;
  whereSql: string;
  connectionIdSql?: string;
}

/**
 * Like outboxCte, for bodies built from the statement's own rows. The CTE returns the row id, so
 * the statement can say whether the event was written (`EXISTS (SELECT 1 FROM <name>)`).
 */
export function outboxSelectCte(name: string, event: Pick<OutboxEvent, 'id' | 'environmentId' | 'type'>, select: OutboxSelect): { sql: string; params: Parameters } {
  const p = `${name}_`;
  const sql = `${name} AS (INSERT INTO outbox (${COLUMNS})
      SELECT :${p}id, :${p}environment_id, ${select.connectionIdSql ?? 'NULL::uuid'}, :${p}event_type, ${select.payloadSql}
        FROM ${select.fromSql} WHERE ${select.whereSql} RETURNING id)`;
  return { sql, params: { [`${p}id`]: uuid(event.id), [`${p}environment_id`]: uuid(event.environmentId), [`${p}event_type`]: event.type } };
}

/** Writes one event as its own statement (inside the caller's transaction when given one). */
export async function recordOutboxEvent(db: SqlExecutor, event: OutboxEvent, connectionRowId?: string): Promise<void> {
  const { sql, params } = values(event, 'outbox_', connectionRowId ? ':outbox_connection_id' : undefined);
  await db.execute(`INSERT INTO outbox (${COLUMNS}) VALUES (${sql})`, { ...params, ...(connectionRowId ? { outbox_connection_id: uuid(connectionRowId) } : {}) });
  publishAfterCommit(event);
}

/**
 * Deletes outbox events created before `cutoff` that need nothing more (skipped, or every delivery
 * delivered or dead; deliveries and attempt logs cascade), in batches within the budget; how many.
 */
export function deleteSettledEventsBefore(db: SqlExecutor, cutoff: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(
    db,
    'outbox',
    `SELECT o.id FROM outbox o
      WHERE o.created_at < :cutoff
        AND (o.status IN ('skipped', 'delivered', 'dead')
             OR (o.status = 'dispatched' AND NOT EXISTS (SELECT 1 FROM webhook_targets t WHERE t.outbox_id = o.id AND t.status = 'pending')))`,
    { cutoff },
    budget,
  );
}
