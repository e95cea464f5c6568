import { randomUUID } from 'node:crypto';
import type { OutboxEvent } from '../events/outbox-event';
import { outboxCte, outboxSelectCte, type OutboxSelect } from '../events/outbox-store';
import { publishAfterCommit } from '../events/publisher';
import { boundedAuditDetail } from '../observability/audit-detail';
import { logAuditLine, type AuditRecord } from '../observability/audit-line';
import { runAfterCommit } from '../observability/request-scope';
import type { SqlExecutor } from './data-api';
import { json, uuid, type Parameters } from './parameters';
import type { StatementOptions } from './retry';
import type { Row } from './rows';

/*
 * A change and what it reports, in ONE statement: the change's CTEs, its audit rows
 * (`audit_events`) and its outbox events (`outbox`) commit together in one round trip, and only
 * when the change happened. After the statement the helper schedules the follow-up: the audit log
 * lines once the change has committed, the events' publishing at the end of the request.
 */

/** An outbox event the statement writes. */
export interface ChangeEvent<R> {
  event: OutboxEvent;
  /** The CTE's name (default `outbox_<n>`); the statement may test it, e.g. `EXISTS (SELECT 1 FROM <name>)` with `select`. */
  name?: string;
  /** The connection row the event is about, as SQL over the statement (e.g. `(SELECT id FROM c)`). */
  connectionIdSql?: string;
  /** The body built in SQL from the statement's own rows instead of `event.payload`; written where its `whereSql` holds. */
  select?: OutboxSelect;
  /** Parameters of `select` and `connectionIdSql`. */
  params?: Parameters;
  /** From the statement's rows: was the event written? Default: the change happened. */
  written?: (rows: R[]) => boolean;
}

export interface Change<R> {
  /** The change's CTEs without `WITH` (`gone AS (UPDATE … RETURNING id)`); none for a statement that only reports. */
  with?: string;
  /** The statement's final SELECT over the CTEs (default `SELECT 1 AS done`). */
  select?: string;
  params?: Parameters;
  /** SQL condition over the CTEs: audit rows (and events without a `select`) are written only when it holds. */
  when: string;
  /** The same condition, read from the statement's rows (default: any row came back). */
  happened?: (rows: R[]) => boolean;
  audit?: AuditRecord | readonly AuditRecord[];
  /** SQL naming the audit rows' target (e.g. `(SELECT id::text FROM gone)`), instead of the records' `targetId`. */
  auditTargetSql?: string;
  events?: readonly ChangeEvent<R>[];
  options?: StatementOptions;
}

const AUDIT_COLUMNS = 'id, environment_id, actor_type, actor_id, action, target_type, target_id, request_id, source_ip, user_agent, outcome, detail';

function auditCte(name: string, event: AuditRecord, when: string, targetIdSql: string | undefined): { sql: string; params: Parameters } {
  const p = `${name}_`;
  const columns = AUDIT_COLUMNS.split(', ').map((c) => (c === 'target_id' && targetIdSql ? targetIdSql : `:${p}${c}`));
  const params: Parameters = {
    // Chosen here, so a statement resent after a lost answer writes the row once (ON CONFLICT).
    [`${p}id`]: uuid(randomUUID()),
    [`${p}environment_id`]: event.environmentId ? uuid(event.environmentId) : null,
    [`${p}actor_type`]: event.actor.type,
    [`${p}actor_id`]: event.actor.id,
    [`${p}action`]: event.action,
    [`${p}target_type`]: event.targetType,
    [`${p}target_id`]: event.targetId,
    [`${p}request_id`]: event.request.requestId,
    [`${p}source_ip`]: event.request.sourceIp,
    [`${p}user_agent`]: event.request.userAgent,
    [`${p}outcome`]: event.outcome,
    [`${p}detail`]: json(boundedAuditDetail(event.detail ?? {})),
  };
  return { sql: `${name} AS (INSERT INTO audit_events (${AUDIT_COLUMNS}) SELECT ${columns.join(', ')} WHERE ${when} ON CONFLICT (id) DO NOTHING)`, params };
}

function asList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** The statement of `change`, with its audit and outbox CTEs. */
export function changeStatement<R>(change: Change<R>): { sql: string; params: Parameters } {
  const audits = asList(change.audit);
  const ctes = audits.map((event, i) => auditCte(audits.length === 1 ? 'audit' : `audit_${i}`, event, change.when, change.auditTargetSql));
  (change.events ?? []).forEach((e, i) => {
    const name = e.name ?? `outbox_${i}`;
    const cte = e.select
      ? outboxSelectCte(name, e.event, { ...e.select, connectionIdSql: e.select.connectionIdSql ?? e.connectionIdSql })
      : outboxCte(name, e.event, change.when, e.connectionIdSql);
    ctes.push({ sql: cte.sql, params: { ...cte.params, ...e.params } });
  });
  const withs = [change.with, ...ctes.map((c) => c.sql)].filter((sql): sql is string => Boolean(sql));
  const sql = `${withs.length ? `WITH ${withs.join(',\n     ')}\n` : ''}${change.select ?? 'SELECT 1 AS done'}`;
  return { sql, params: Object.assign({}, change.params, ...ctes.map((c) => c.params)) as Parameters };
}

/**
 * Runs `change` as one statement and schedules its follow-up: each audit record's log line after
 * commit when the change happened, each written event's publishing.
 */
export async function runChange<R = Row>(db: SqlExecutor, change: Change<R>): Promise<R[]> {
  const { sql, params } = changeStatement(change);
  const rows = await db.query<R>(sql, params, change.options);
  const happened = (change.happened ?? ((r: R[]) => r.length > 0))(rows);
  if (happened) for (const event of asList(change.audit)) runAfterCommit(() => logAuditLine(event));
  for (const e of change.events ?? []) if ((e.written ?? (() => happened))(rows)) publishAfterCommit(e.event);
  return rows;
}
