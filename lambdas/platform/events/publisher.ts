import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EVENT_SOURCE } from '../../../lib/topology';
import { env } from '../config';
import { logger } from '../observability/logger';
import { currentRequestScope, queueAfterRequest, type RequestScope } from '../observability/request-scope';
import type { OutboxEvent } from './outbox-event';

/**
 * After commit: puts outbox events on the bus (one PutEvents per 10). The bus event carries ids
 * only — the webhooks function reads the body from the outbox — so nothing secret or large rides
 * on EventBridge. No database write here: the webhooks function marks the row when it dispatches
 * it, and the re-drive only takes rows older than its grace period, so a published row needs no
 * mark of its own (it would cost every event-writing request a round trip). A failure (the call
 * or an entry) is logged and left alone: the scheduled re-drive delivers those rows.
 */

/** What an outbox event looks like on the bus (`detail`); `detail-type` is the event type. */
export interface OutboxBusDetail {
  outbox_id: string;
  environment_id: string;
}

const BATCH = 10;
let client: EventBridgeClient | undefined;

function eventBridge(): EventBridgeClient {
  // Short timeouts: a request waits for this after its work is done. Without throwOnRequestTimeout
  // the handler only logs a warning when requestTimeout passes and keeps waiting.
  client ??= new EventBridgeClient({
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true }),
  });
  return client;
}

export function busEntry(event: Pick<OutboxEvent, 'id' | 'environmentId' | 'type'>): PutEventsRequestEntry {
  const detail: OutboxBusDetail = { outbox_id: event.id, environment_id: event.environmentId };
  return { EventBusName: env().LATCHKEY_EVENT_BUS_NAME, Source: EVENT_SOURCE, DetailType: event.type, Detail: JSON.stringify(detail) };
}

/** Publishes `events`; returns the ids that reached the bus. Never throws. */
export async function publishOutboxEvents(events: readonly OutboxEvent[]): Promise<string[]> {
  const unique = [...new Map(events.map((e) => [e.id, e])).values()];
  if (unique.length === 0) return [];
  const published: string[] = [];
  for (let i = 0; i < unique.length; i += BATCH) {
    const batch = unique.slice(i, i + BATCH);
    try {
      const out = await eventBridge().send(new PutEventsCommand({ Entries: batch.map(busEntry) }));
      (out.Entries ?? []).forEach((entry, n) => {
        if (entry.EventId && !entry.ErrorCode) published.push(batch[n].id);
      });
      if (out.FailedEntryCount) logger.warn('outbox publish: some entries failed; the re-drive will deliver them', { failed: out.FailedEntryCount });
    } catch (err) {
      logger.warn('outbox publish failed; the re-drive will deliver these events', { events: batch.length, error: (err as Error).name });
    }
  }
  return published;
}

/** Events waiting for the end of their request, one list per request scope (one PutEvents per 10 at the end). */
const waiting = new WeakMap<RequestScope, OutboxEvent[]>();

/**
 * Queues the event for publishing when the request's work is done (after commit). Outside a
 * request scope (scripts) nothing is queued: the scheduled re-drive publishes it.
 */
export function publishAfterCommit(event: OutboxEvent): void {
  const scope = currentRequestScope();
  if (!scope) return;
  const queued = waiting.get(scope);
  if (queued) {
    queued.push(event);
    return;
  }
  waiting.set(scope, [event]);
  queueAfterRequest(async () => {
    const events = waiting.get(scope) ?? [];
    waiting.delete(scope);
    await publishOutboxEvents(events);
  });
}
