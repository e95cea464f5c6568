import type { AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import { budgetedStatement, statementParams, statementRows } from '../platform/db/statement-page';
import type { OutboxEventType } from '../platform/events/outbox-event';
import { publishAfterCommit } from '../platform/events/publisher';
import { RETRY_WINDOW_MS } from './retry-policy';
import type { KeysetCursor } from '../platform/db/keyset-cursor';

/**
 * The delivery log as the API reads it (our extension, `GET /webhooks/deliveries…`), and replay.
 * Every statement is filtered by the caller's environment; one statement per request.
 */

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  connection_id: string | null;
  provider_config_key: string | null;
  url: string;
  kind: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  window_ends_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  dead_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AttemptRow {
  attempt: number;
  outcome: string | null;
  status_code: number | null;
  latency_ms: number | null;
  response_excerpt: string | null;
  error: string | null;
  created_at: string;
}

export interface DeliveryDetail extends DeliveryRow {
  body: Record<string, unknown>;
  /** The newest attempts, oldest first, within ATTEMPT_LOG_BYTES. */
  attempt_log: AttemptRow[];
  /** Every attempt logged, including those past the byte budget. */
  attempt_log_total: number;
}

/**
 * The attempt log's share of the delivery's one row: the Data API refuses a row over 64 KB, and a
 * failing receiver that answers with 1 KB bodies logs about 27 attempts a day, replays adding more.
 */
export const ATTEMPT_LOG_BYTES = 32 * 1024;

const COLUMNS = `t.id, t.outbox_id AS event_id, o.event_type, o.payload->>'connectionId' AS connection_id,
  o.payload->>'providerConfigKey' AS provider_config_key, t.url, t.kind, t.status, t.attempts, t.next_attempt_at,
  t.window_ends_at, t.last_status_code, t.last_error, t.delivered_at, t.dead_at, t.created_at, t.updated_at,
  to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;

/** One statement of the log, newest first, within the statement budget: up to `rows` after `after`, and whether more follow. */
export async function listDeliveries(
  db: SqlExecutor,
  environmentId: string,
  filter: { status?: DeliveryStatus; eventId?: string },
  after: KeysetCursor | undefined,
  rows: number,
): Promise<{ rows: (DeliveryRow & { cursor_at: string })[]; more: boolean }> {
  const found = await db.query<DeliveryRow & { cursor_at: string; fetched: number }>(
    budgetedStatement(
      `SELECT ${COLUMNS},
              6 * (octet_length(t.url) + coalesce(octet_length(t.last_error), 0) + coalesce(octet_length(o.payload->>'connectionId'), 0)
                   + coalesce(octet_length(o.payload->>'providerConfigKey'), 0)) + ${DELIVERY_ROW_FIXED_BYTES} AS row_bytes
         FROM webhook_targets t JOIN outbox o ON o.id = t.outbox_id
        WHERE t.environment_id = :environment_id
          AND (CAST(:status AS text) IS NULL OR t.status = :status)
          AND (CAST(:event_id AS uuid) IS NULL OR t.outbox_id = CAST(:event_id AS uuid))
          AND (CAST(:cursor_at AS timestamptz) IS NULL OR (t.created_at, t.id) < (CAST(:cursor_at AS timestamptz), CAST(:cursor_id AS uuid)))
        ORDER BY t.created_at DESC, t.id DESC LIMIT :fetch`,
      'created_at DESC, id DESC',
    ),
    {
      environment_id: uuid(environmentId),
      status: filter.status ?? null,
      event_id: filter.eventId ?? null,
      // Microseconds, as stored: a millisecond cursor could skip or repeat rows created within one millisecond.
      cursor_at: after?.at ?? null,
      cursor_id: after?.id ?? null,
      ...statementParams(rows, DELIVERY_ROW_FIXED_BYTES),
    },
    { idempotent: true },
  );
  return statementRows(found, rows, DELIVERY_ROW_FIXED_BYTES);
}

/** A row's share of a statement besides its text (see statement-page.ts). */
const DELIVERY_ROW_FIXED_BYTES = 768;

/** One delivery with the body it sends and its newest attempts (within ATTEMPT_LOG_BYTES, at least one). */
export async function getDelivery(db: SqlExecutor, environmentId: string, id: string): Promise<DeliveryDetail | undefined> {
  const [row] = await db.query<DeliveryRow & { payload: Record<string, unknown>; attempt_log: AttemptRow[]; attempt_log_total: number }>(
    `SELECT ${COLUMNS}, o.payload,
            COALESCE((SELECT jsonb_agg(a.entry ORDER BY a.attempt, a.created_at) FROM (
               SELECT entry, attempt, created_at,
                      sum(octet_length(entry::text)) OVER (ORDER BY attempt DESC, created_at DESC, id DESC) AS running_bytes,
                      row_number() OVER (ORDER BY attempt DESC, created_at DESC, id DESC) AS newest
                 FROM (SELECT d.id, d.attempt, d.created_at,
                              jsonb_build_object('attempt', d.attempt, 'outcome', d.outcome, 'status_code', d.status_code, 'latency_ms', d.latency_ms,
                                                 'response_excerpt', d.response_excerpt, 'error', d.error, 'created_at', d.created_at) AS entry
                         FROM webhook_deliveries d WHERE d.target_id = t.id) d
               ) a WHERE a.running_bytes <= :log_bytes OR a.newest = 1), '[]'::jsonb) AS attempt_log,
            (SELECT count(*) FROM webhook_deliveries d WHERE d.target_id = t.id)::int AS attempt_log_total
       FROM webhook_targets t JOIN outbox o ON o.id = t.outbox_id
      WHERE t.id = :id AND t.environment_id = :environment_id`,
    { id: uuid(id), environment_id: uuid(environmentId), log_bytes: ATTEMPT_LOG_BYTES },
  );
  if (!row) return undefined;
  const { payload, attempt_log, ...rest } = row;
  const { _webhook_url_override: _internal, ...body } = payload;
  return { ...rest, body, attempt_log: attempt_log.map((a) => ({ ...a, created_at: new Date(a.created_at).toISOString() })) };
}

export type ReplayOutcome = { kind: 'replayed' } | { kind: 'not_found' } | { kind: 'pending' };

/**
 * Makes a dead (or delivered) delivery due now with a fresh 24-hour window, closes its URL's
 * circuit, and audits it — one statement — then queues a bus event so the webhooks function
 * sends it at once (the re-drive would within a minute anyway).
 */
export async function replayDelivery(db: SqlExecutor, environmentId: string, id: string, now: Date, audit: AuditEvent): Promise<ReplayOutcome> {
  const [row] = await runChange<{ status: string; outbox_id: string; event_type: OutboxEventType; replayed: boolean }>(db, {
    with: `found AS (
       SELECT t.id, t.status, t.url, t.outbox_id, o.event_type FROM webhook_targets t JOIN outbox o ON o.id = t.outbox_id
        WHERE t.id = :id AND t.environment_id = :environment_id
     ), changed AS (
       UPDATE webhook_targets t SET status = 'pending', next_attempt_at = :now, window_ends_at = :window_ends_at,
              lease_until = NULL, dead_at = NULL, updated_at = :now
         FROM found f WHERE t.id = f.id AND f.status IN ('dead', 'delivered')
       RETURNING t.id
     ), reset AS (
       UPDATE webhook_circuits wc SET consecutive_failures = 0, open_until = NULL, updated_at = :now
         FROM found f WHERE wc.environment_id = :environment_id AND wc.url = f.url AND EXISTS (SELECT 1 FROM changed)
     )`,
    select: 'SELECT f.status, f.outbox_id, f.event_type, EXISTS (SELECT 1 FROM changed) AS replayed FROM found f',
    params: { id: uuid(id), environment_id: uuid(environmentId), now, window_ends_at: new Date(now.getTime() + RETRY_WINDOW_MS) },
    when: 'EXISTS (SELECT 1 FROM changed)',
    happened: ([r]) => r?.replayed === true,
    audit,
    auditTargetSql: '(SELECT id::text FROM changed)',
  });
  if (!row) return { kind: 'not_found' };
  if (!row.replayed) return { kind: 'pending' };
  // The event's row exists already: only its bus message is sent again.
  publishAfterCommit({ id: row.outbox_id, environmentId, type: row.event_type, payload: {} });
  return { kind: 'replayed' };
}
