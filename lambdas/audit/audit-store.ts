import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';
import { uuid, type Parameters } from '../platform/db/parameters';
import { budgetedStatement, statementParams, statementRows } from '../platform/db/statement-page';
import type { ActorType, AuditAction } from './audit-event';
import type { KeysetCursor } from '../platform/db/keyset-cursor';

export interface AuditQuery {
  from?: Date;
  to?: Date;
  actions?: AuditAction[];
  targetType?: string;
  targetId?: string;
  actorType?: ActorType;
  actorId?: string;
}

/** Position after the last event of a page: newest first, ties broken by id; `at` is microsecond-exact (Dates keep milliseconds only, which would skip or repeat events). */
export type AuditCursor = KeysetCursor;

export interface AuditEventRow {
  id: string;
  occurred_at: Date;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  request_id: string | null;
  source_ip: string | null;
  user_agent: string | null;
  detail: Record<string, unknown>;
  cursor_at: string;
}

/**
 * One statement of an environment's events, newest first (index audit_events_listing), within the
 * statement budget: up to `rows` after `after`, and whether more follow.
 */
export async function listAuditEvents(db: SqlExecutor, environmentId: string, q: AuditQuery, after: AuditCursor | undefined, rows: number): Promise<{ rows: AuditEventRow[]; more: boolean }> {
  const where = ['environment_id = :environment_id'];
  const params: Parameters = { environment_id: uuid(environmentId), ...statementParams(rows, AUDIT_ROW_FIXED_BYTES) };
  const add = (condition: string, values: Parameters) => {
    where.push(condition);
    Object.assign(params, values);
  };
  if (q.from) add('occurred_at >= :from', { from: q.from });
  if (q.to) add('occurred_at < :to', { to: q.to });
  if (q.actions?.length) add(`action = ANY(CAST(:actions AS text[]))`, { actions: `{${q.actions.join(',')}}` });
  if (q.targetType) add('target_type = :target_type', { target_type: q.targetType });
  if (q.targetId) add('target_id = :target_id', { target_id: q.targetId });
  if (q.actorType) add('actor_type = :actor_type', { actor_type: q.actorType });
  if (q.actorId) add('actor_id = :actor_id', { actor_id: q.actorId });
  if (after) add('(occurred_at, id) < (CAST(:cursor_at AS timestamptz), :cursor_id)', { cursor_at: after.at, cursor_id: uuid(after.id) });
  const found = await db.query<AuditEventRow & { fetched: number }>(
    budgetedStatement(
      `SELECT id, occurred_at, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at, action, outcome, actor_type, actor_id,
              target_type, target_id, request_id, source_ip, user_agent, ${READ_DETAIL_SQL} AS detail,
              2 * least(octet_length(detail::text), ${AUDIT_DETAIL_READ_MAX_BYTES}) + 6 * (coalesce(octet_length(actor_id), 0) + coalesce(octet_length(target_type), 0)
                + coalesce(octet_length(target_id), 0) + coalesce(octet_length(request_id), 0) + coalesce(octet_length(user_agent), 0)) + ${AUDIT_ROW_FIXED_BYTES} AS row_bytes
         FROM audit_events WHERE ${where.join(' AND ')} ORDER BY occurred_at DESC, id DESC LIMIT :fetch`,
      'occurred_at DESC, id DESC',
    ),
    params,
    { idempotent: true },
  );
  return statementRows(found, rows, AUDIT_ROW_FIXED_BYTES);
}

/**
 * Details larger than this are listed as a placeholder with their size: the Data API refuses a row
 * over 64 KB, and rows written before details were bounded (platform/observability/audit-detail.ts)
 * may hold more.
 */
const AUDIT_DETAIL_READ_MAX_BYTES = 32 * 1024;
const READ_DETAIL_SQL = `CASE WHEN octet_length(detail::text) <= ${AUDIT_DETAIL_READ_MAX_BYTES} THEN detail
              ELSE jsonb_build_object('truncated', true, 'detail_bytes', octet_length(detail::text)) END`;

/** A row's share of a statement besides its detail and text (see statement-page.ts). */
const AUDIT_ROW_FIXED_BYTES = 512;

/** Deletes events that occurred before `cutoff`, in batches within the budget; how many. */
export function deleteAuditEventsBefore(db: SqlExecutor, cutoff: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(db, 'audit_events', 'SELECT id FROM audit_events WHERE occurred_at < :cutoff', { cutoff }, budget);
}
