import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../platform/db/data-api';
import { json, uuid, type Parameters } from '../platform/db/parameters';
import { logger } from '../platform/observability/logger';
import { currentRequestScope } from '../platform/observability/request-scope';
import type { AuditEvent } from './audit-event';

/*
 * The audit log: append-only rows in `audit_events`, written in the same transaction (or the same
 * statement) as what they record, and the same events as JSON log lines once that work has
 * committed, for CloudWatch Logs subscriptions.
 */

const COLUMNS = 'id, environment_id, actor_type, actor_id, action, target_type, target_id, request_id, source_ip, user_agent, outcome, detail';

function values(event: AuditEvent, prefix: string, targetIdSql?: string): { sql: string; params: Parameters } {
  const p = (name: string) => (name === 'target_id' && targetIdSql ? targetIdSql : `:${prefix}${name}`);
  const sql = ['id', 'environment_id', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'request_id', 'source_ip', 'user_agent', 'outcome', 'detail']
    .map(p)
    .join(', ');
  const params: Parameters = {
    // Chosen here, so a statement resent after a lost answer writes the row once (ON CONFLICT).
    [`${prefix}id`]: uuid(randomUUID()),
    [`${prefix}environment_id`]: event.environmentId ? uuid(event.environmentId) : null,
    [`${prefix}actor_type`]: event.actor.type,
    [`${prefix}actor_id`]: event.actor.id,
    [`${prefix}action`]: event.action,
    [`${prefix}target_type`]: event.targetType,
    [`${prefix}target_id`]: event.targetId,
    [`${prefix}request_id`]: event.request.requestId,
    [`${prefix}source_ip`]: event.request.sourceIp,
    [`${prefix}user_agent`]: event.request.userAgent,
    [`${prefix}outcome`]: event.outcome,
    [`${prefix}detail`]: json(event.detail ?? {}),
  };
  return { sql, params };
}

/** Writes one event as its own statement (inside the caller's transaction when given one). */
export async function recordAudit(db: SqlExecutor, event: AuditEvent): Promise<void> {
  const { sql, params } = values(event, 'audit_');
  await db.execute(`INSERT INTO audit_events (${COLUMNS}) VALUES (${sql}) ON CONFLICT (id) DO NOTHING`, params);
  emitAfterCommit(event);
}

/**
 * The event as a data-modifying CTE to add to the statement that does the work, so a read or a
 * change and its audit row cost one round trip and commit together. `when` is a SQL condition
 * over the statement's other CTEs (e.g. `EXISTS (SELECT 1 FROM found)`): no row, no event.
 * Call `emitAfterCommit` once the statement has succeeded and the event really happened.
 */
export function auditCte(name: string, event: AuditEvent, when: string, targetIdSql?: string): { sql: string; params: Parameters } {
  const { sql, params } = values(event, `${name}_`, targetIdSql);
  return { sql: `${name} AS (INSERT INTO audit_events (${COLUMNS}) SELECT ${sql} WHERE ${when} ON CONFLICT (id) DO NOTHING)`, params };
}

/**
 * `, audit AS (INSERT …)` to splice after a statement's last CTE, or nothing without an event:
 * store functions take an optional event and stay usable where no audit is wanted.
 * `targetIdSql` names the target from the statement itself (e.g. `(SELECT id::text FROM gone)`).
 */
export function auditClause(event: AuditEvent | undefined, when: string, targetIdSql?: string): { sql: string; params: Parameters } {
  if (!event) return { sql: '', params: {} };
  const cte = auditCte('audit', event, when, targetIdSql);
  return { sql: `, ${cte.sql}`, params: cte.params };
}

/**
 * The event's log line, once the statement that wrote its row has committed: at once after an
 * autocommit statement, at the commit of an open transaction (never, if it rolls back).
 */
export function emitAfterCommit(event: AuditEvent): void {
  const scope = currentRequestScope();
  if (scope && scope.transactionDepth > 0) scope.afterCommit.push(() => logAuditEvent(event));
  else logAuditEvent(event);
}

/** One JSON line per event, OpenTelemetry-style attribute names. */
export function logAuditEvent(event: AuditEvent): void {
  logger.info('audit', {
    'event.name': 'latchkey.audit',
    'event.action': event.action,
    'event.outcome': event.outcome,
    'latchkey.environment.id': event.environmentId,
    'latchkey.actor.type': event.actor.type,
    'latchkey.actor.id': event.actor.id,
    'latchkey.target.type': event.targetType,
    'latchkey.target.id': event.targetId,
    'latchkey.request.id': event.request.requestId,
    'client.address': event.request.sourceIp,
    'user_agent.original': event.request.userAgent,
    'latchkey.detail': event.detail ?? {},
  });
}

/**
 * Runs one data-changing statement with RETURNING and writes `event` in the same statement when
 * it changed a row: the change and its audit row commit together, in one round trip.
 */
export async function executeAudited<R>(db: SqlExecutor, sql: string, params: Parameters, event: AuditEvent): Promise<R[]> {
  const audit = auditCte('audit', event, 'EXISTS (SELECT 1 FROM changed)');
  const rows = await db.query<R>(`WITH changed AS (${sql}), ${audit.sql} SELECT * FROM changed`, { ...params, ...audit.params });
  if (rows.length > 0) emitAfterCommit(event);
  return rows;
}
