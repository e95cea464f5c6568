import type { SqlExecutor } from '../platform/db/data-api';
import { json, uuid } from '../platform/db/parameters';
import { RETRY_WINDOW_MS } from './retry-policy';

/**
 * SQL of webhook delivery. A "delivery" (table webhook_targets) is one outbox event to one URL;
 * its attempts are rows of webhook_deliveries. Claims take a lease so that the bus-triggered
 * invocation and the scheduled re-drive never send the same delivery at the same time.
 */

/** How long a claimed delivery stays with its invocation (the function times out well before). */
export const LEASE_MS = 3 * 60 * 1000;
/** Outbox rows not dispatched this long after they were written are the re-drive's (publish failed or was lost). */
export const REDRIVE_GRACE_MS = 60 * 1000;

/** A claimed delivery with everything needed to send it. */
export interface ClaimedDelivery {
  id: string;
  outbox_id: string;
  environment_id: string;
  url: string;
  attempts: number;
  window_ends_at: Date;
  event_type: string;
  payload: Record<string, unknown>;
  signing_key: Buffer | null;
  consecutive_failures: number;
  open_until: Date | null;
}

/** Which toggle an event needs (docs/nango-wire.md §4.1 "shouldSend"): override is sent whenever a URL is set. */
const TOGGLE = `CASE o.event_type
    WHEN 'auth' THEN CASE o.payload->>'operation'
      WHEN 'creation' THEN e.webhook_on_auth_creation
      WHEN 'refresh' THEN e.webhook_on_auth_refresh_error
      ELSE true END
    WHEN 'connection.deleted' THEN e.webhook_on_connection_deleted
    ELSE false END`;

/**
 * ONE statement: dispatches undispatched outbox rows (one delivery per target URL, leased to the
 * caller; `skipped` when none) and claims due deliveries, returning both with their payload,
 * signing key and circuit state. `outboxId` limits it to one event (the bus path); without it,
 * it is the re-drive: stale undispatched rows and every due delivery, up to `limit`.
 */
export async function dispatchAndClaim(db: SqlExecutor, now: Date, options: { outboxId?: string; limit: number }): Promise<ClaimedDelivery[]> {
  const one = options.outboxId !== undefined;
  const outboxFilter = one ? 'o.id = :outbox_id' : 'o.created_at <= :stale_before';
  const targetFilter = one ? 't.outbox_id = :outbox_id' : 'true';
  // The bus path waits for a row lock (a re-drive dispatching the same row) instead of skipping
  // its event; the re-drive skips rows another invocation holds.
  return db.query<ClaimedDelivery>(
    `WITH candidates AS (
       SELECT o.id, o.environment_id, o.connection_id, o.event_type, o.payload FROM outbox o
        WHERE ${outboxFilter} AND o.status IN ('pending', 'published')
        ORDER BY o.created_at LIMIT :limit FOR UPDATE ${one ? '' : 'SKIP LOCKED'}
     ), targets AS (
       SELECT o.id AS outbox_id, o.environment_id, u.url, u.kind
         FROM candidates o
         JOIN environments e ON e.id = o.environment_id
         LEFT JOIN connections cn ON cn.id = o.connection_id
         CROSS JOIN LATERAL (SELECT NULLIF(COALESCE(o.payload->>'_webhook_url_override', cn.webhook_url_override), '') AS url) ov
         CROSS JOIN LATERAL (VALUES
           (COALESCE(ov.url, e.webhook_url), CASE WHEN ov.url IS NULL THEN 'primary' ELSE 'override' END),
           (CASE WHEN ov.url IS NULL AND e.webhook_secondary_url IS DISTINCT FROM e.webhook_url THEN e.webhook_secondary_url END, 'secondary')
         ) AS u(url, kind)
        WHERE NULLIF(u.url, '') IS NOT NULL AND ${TOGGLE}
     ), marked AS (
       UPDATE outbox o SET status = CASE WHEN EXISTS (SELECT 1 FROM targets t WHERE t.outbox_id = o.id) THEN 'dispatched' ELSE 'skipped' END
         FROM candidates c WHERE o.id = c.id
     ), inserted AS (
       INSERT INTO webhook_targets (outbox_id, environment_id, url, kind, next_attempt_at, window_ends_at, lease_until, created_at, updated_at)
       SELECT outbox_id, environment_id, url, kind, :now, :window_ends_at, :lease_until, :now, :now FROM targets
       RETURNING id, outbox_id, environment_id, url, attempts, window_ends_at
     ), claimed AS (
       UPDATE webhook_targets t SET lease_until = :lease_until
        WHERE t.id IN (
          SELECT t.id FROM webhook_targets t
           WHERE ${targetFilter} AND t.status = 'pending' AND t.next_attempt_at <= :now
             AND (t.lease_until IS NULL OR t.lease_until <= :now)
             AND NOT EXISTS (SELECT 1 FROM webhook_circuits wc WHERE wc.environment_id = t.environment_id AND wc.url = t.url AND wc.open_until > :now)
           ORDER BY t.next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
       RETURNING t.id, t.outbox_id, t.environment_id, t.url, t.attempts, t.window_ends_at
     )
     SELECT d.id, d.outbox_id, d.environment_id, d.url, d.attempts, d.window_ends_at, o.event_type, o.payload,
            e.webhook_signing_key AS signing_key, COALESCE(wc.consecutive_failures, 0) AS consecutive_failures, wc.open_until
       FROM (SELECT * FROM inserted UNION ALL SELECT * FROM claimed) d
       JOIN outbox o ON o.id = d.outbox_id
       JOIN environments e ON e.id = d.environment_id
       LEFT JOIN webhook_circuits wc ON wc.environment_id = d.environment_id AND wc.url = d.url
      ORDER BY d.url, o.created_at`,
    {
      now,
      limit: options.limit,
      lease_until: new Date(now.getTime() + LEASE_MS),
      window_ends_at: new Date(now.getTime() + RETRY_WINDOW_MS),
      ...(one ? { outbox_id: uuid(options.outboxId!) } : { stale_before: new Date(now.getTime() - REDRIVE_GRACE_MS) }),
    },
  );
}

/** The result of one attempt (or of not attempting: `deferred` while the URL's circuit is open). */
export interface AttemptRecord {
  target_id: string;
  outbox_id: string;
  url: string;
  /** The delivery's attempt count after this one. */
  attempts: number;
  outcome: 'delivered' | 'retry' | 'failed' | 'deferred';
  status_code: number | null;
  latency_ms: number | null;
  response_excerpt: string | null;
  error: string | null;
  next_attempt_at: string | null;
}

export interface CircuitRecord {
  environment_id: string;
  url: string;
  consecutive_failures: number;
  open_until: string | null;
}

/**
 * ONE statement for a batch of attempts: logs them, moves each delivery on (delivered, next
 * attempt, or dead), releases the leases, and writes the URLs' circuit states.
 */
export async function recordAttempts(db: SqlExecutor, now: Date, attempts: AttemptRecord[], circuits: CircuitRecord[]): Promise<void> {
  if (attempts.length === 0 && circuits.length === 0) return;
  await db.execute(
    `WITH r AS (
       SELECT * FROM jsonb_to_recordset(:attempts) AS r(target_id uuid, outbox_id uuid, url text, attempts integer, outcome text,
         status_code integer, latency_ms integer, response_excerpt text, error text, next_attempt_at timestamptz)
     ), logged AS (
       INSERT INTO webhook_deliveries (outbox_id, target_id, url, attempt, status_code, latency_ms, response_excerpt, error, outcome, created_at)
       SELECT outbox_id, target_id, url, attempts, status_code, latency_ms, response_excerpt, error, outcome, :now FROM r WHERE outcome <> 'deferred'
     ), moved AS (
       UPDATE webhook_targets t SET
         status = CASE r.outcome WHEN 'delivered' THEN 'delivered' WHEN 'failed' THEN 'dead' ELSE 'pending' END,
         attempts = r.attempts,
         next_attempt_at = COALESCE(r.next_attempt_at, t.next_attempt_at),
         lease_until = NULL,
         last_status_code = CASE WHEN r.outcome = 'deferred' THEN t.last_status_code ELSE r.status_code END,
         last_error = r.error,
         delivered_at = CASE WHEN r.outcome = 'delivered' THEN :now ELSE t.delivered_at END,
         dead_at = CASE WHEN r.outcome = 'failed' THEN :now ELSE NULL END,
         updated_at = :now
         FROM r WHERE t.id = r.target_id
     )
     INSERT INTO webhook_circuits (environment_id, url, consecutive_failures, open_until, updated_at)
     SELECT environment_id, url, consecutive_failures, open_until, :now
       FROM jsonb_to_recordset(:circuits) AS c(environment_id uuid, url text, consecutive_failures integer, open_until timestamptz)
     ON CONFLICT (environment_id, url) DO UPDATE SET
       consecutive_failures = EXCLUDED.consecutive_failures, open_until = EXCLUDED.open_until, updated_at = EXCLUDED.updated_at`,
    { now, attempts: json(attempts), circuits: json(circuits) },
  );
}
