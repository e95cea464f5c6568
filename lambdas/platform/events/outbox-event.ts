import { randomUUID } from 'node:crypto';

/*
 * The transactional outbox (docs/design.md "Data flow"): a domain event is written in the same
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
