import * as z from 'zod';
import { auditFrom } from '../../../http/audit-request';
import { ApiError, jsonResult } from '../../../http/errors';
import { defineRoute } from '../../../http/route';
import { ATTEMPT_LOG_BYTES, getDelivery, listDeliveries, replayDelivery, type DeliveryRow } from '../../../webhooks/delivery-log-store';
import { cursorParam, PageLimit } from '../../../http/pagination';
import { pagedList } from '../../../http/paged-list';
import { decodeKeysetCursor, encodeKeysetCursor } from '../../../platform/db/keyset-cursor';

/*
 * Our extension: the webhook delivery log and replay. A delivery is one event to one URL; it is
 * `pending` (being retried), `delivered`, or `dead` (failed at once, or retried for 24 hours).
 */

const ListQuery = z
  .object({
    status: z.enum(['pending', 'delivered', 'dead']).optional(),
    event_id: z.uuid().optional(),
    limit: PageLimit,
    cursor: cursorParam(decodeKeysetCursor),
  })
  .strict();

const DeliveryParams = z.object({ deliveryId: z.uuid() }).strict();

const DeliveryOut = z.object({
  id: z.uuid(),
  event_id: z.uuid(),
  event_type: z.string(),
  connection_id: z.string().nullable(),
  provider_config_key: z.string().nullable(),
  url: z.string(),
  target: z.enum(['primary', 'secondary', 'override']),
  status: z.enum(['pending', 'delivered', 'dead']),
  attempts: z.number(),
  next_attempt_at: z.string().nullable(),
  retry_until: z.string(),
  last_status_code: z.number().nullable(),
  last_error: z.string().nullable(),
  delivered_at: z.string().nullable(),
  dead_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

const AttemptOut = z.object({
  attempt: z.number(),
  outcome: z.string().nullable(),
  status_code: z.number().nullable(),
  latency_ms: z.number().nullable(),
  response_excerpt: z.string().nullable(),
  error: z.string().nullable(),
  created_at: z.string(),
});

function deliveryOut(row: DeliveryRow) {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    connection_id: row.connection_id,
    provider_config_key: row.provider_config_key,
    url: row.url,
    target: row.kind,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    retry_until: row.window_ends_at.toISOString(),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    dead_at: row.dead_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

const notFound = () => new ApiError(404, 'not_found', 'No such webhook delivery');

export const listDeliveriesRoute = defineRoute({
  method: 'GET',
  path: '/webhooks/deliveries',
  summary: 'Webhook deliveries, newest first; `status=dead` lists the dead-lettered ones (our extension)',
  tag: 'Webhooks',
  auth: 'secret_key',
  scope: 'environment:webhooks:read',
  query: ListQuery,
  responses: { 200: { description: 'A page of deliveries', schema: z.object({ data: z.array(DeliveryOut), next_cursor: z.string().nullable() }) } },
  handle: async ({ db, principal, query }) => {
    const filter = { status: query.status, eventId: query.event_id };
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: (after, rows) => listDeliveries(db, principal.environmentId, filter, after, rows),
      cursorOf: (row) => ({ at: row.cursor_at, id: row.id }),
      item: (row) => deliveryOut(row),
    });
    return jsonResult(200, { data: page.items, next_cursor: page.next ? encodeKeysetCursor(page.next) : null });
  },
});

export const getDeliveryRoute = defineRoute({
  method: 'GET',
  path: '/webhooks/deliveries/{deliveryId}',
  summary: `One webhook delivery with the body it sends and its attempts (status, latency, truncated response): the newest, up to ${ATTEMPT_LOG_BYTES / 1024} KiB of them; attempt_log_total counts all`,
  tag: 'Webhooks',
  auth: 'secret_key',
  scope: 'environment:webhooks:read',
  params: DeliveryParams,
  responses: {
    200: { description: 'The delivery', schema: z.object({ data: DeliveryOut.extend({ body: z.record(z.string(), z.unknown()), attempt_log: z.array(AttemptOut), attempt_log_total: z.number() }) }) },
    404: { description: 'No such delivery in this environment' },
  },
  handle: async ({ db, principal, params }) => {
    const row = await getDelivery(db, principal.environmentId, params.deliveryId);
    if (!row) throw notFound();
    return jsonResult(200, { data: { ...deliveryOut(row), body: row.body, attempt_log: row.attempt_log, attempt_log_total: row.attempt_log_total } });
  },
});

export const replayDeliveryRoute = defineRoute({
  method: 'POST',
  path: '/webhooks/deliveries/{deliveryId}/replay',
  summary: 'Sends a dead (or delivered) webhook delivery again, with a fresh 24-hour retry window',
  tag: 'Webhooks',
  auth: 'secret_key',
  scope: 'environment:webhooks:write',
  params: DeliveryParams,
  responses: {
    202: { description: 'Queued; the delivery is pending again', schema: z.object({ data: DeliveryOut }) },
    404: { description: 'No such delivery in this environment' },
    409: { description: 'The delivery is still pending' },
  },
  handle: async (request) => {
    const { db, principal, params, now } = request;
    const audit = { ...auditFrom(request), action: 'webhook.delivery.replay' as const, targetType: 'webhook_delivery', targetId: params.deliveryId };
    const outcome = await replayDelivery(db, principal.environmentId, params.deliveryId, now, audit);
    if (outcome.kind === 'not_found') throw notFound();
    if (outcome.kind === 'pending') throw new ApiError(409, 'conflict', 'The delivery is still pending: it is retried on its own');
    const row = await getDelivery(db, principal.environmentId, params.deliveryId);
    if (!row) throw notFound();
    return jsonResult(202, { data: deliveryOut(row) });
  },
});

export const WEBHOOK_ROUTES = [listDeliveriesRoute, getDeliveryRoute, replayDeliveryRoute];
