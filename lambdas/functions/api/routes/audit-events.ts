import * as z from 'zod';
import { AUDIT_ACTIONS } from '../../../audit/audit-event';
import { listAuditEvents, type AuditEventRow } from '../../../audit/audit-store';
import { cursorParam, PageLimit } from '../../../http/pagination';
import { decodeKeysetCursor, encodeKeysetCursor } from '../../../platform/db/keyset-cursor';
import { jsonResult } from '../../../http/errors';
import { pagedList } from '../../../http/paged-list';
import { defineRoute } from '../../../http/route';

const Query = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    /** One action or a comma-separated list. */
    action: z
      .string()
      .transform((v) => v.split(',').map((a) => a.trim()))
      .pipe(z.array(z.enum(AUDIT_ACTIONS)).min(1))
      .optional(),
    target_type: z.string().min(1).max(64).optional(),
    target_id: z.string().min(1).max(255).optional(),
    actor_type: z.enum(['secret_key', 'connect_session', 'end_user', 'system']).optional(),
    actor_id: z.string().min(1).max(255).optional(),
    limit: PageLimit,
    cursor: cursorParam(decodeKeysetCursor),
  })
  .strict();

const EventOut = z.object({
  id: z.uuid(),
  occurred_at: z.string(),
  action: z.enum(AUDIT_ACTIONS),
  outcome: z.enum(['success', 'failure']),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  request: z.object({ id: z.string().nullable(), source_ip: z.string().nullable(), user_agent: z.string().nullable() }),
  detail: z.record(z.string(), z.unknown()),
});

function eventOut(row: AuditEventRow) {
  return {
    id: row.id,
    occurred_at: row.occurred_at,
    action: row.action,
    outcome: row.outcome,
    actor: { type: row.actor_type, id: row.actor_id },
    target: { type: row.target_type, id: row.target_id },
    request: { id: row.request_id, source_ip: row.source_ip, user_agent: row.user_agent },
    detail: row.detail,
  };
}

/** `GET /audit-events` (our extension): who read or changed what in this environment, newest first. */
export const listAuditEventsRoute = defineRoute({
  method: 'GET',
  path: '/audit-events',
  summary: "The environment's audit events, newest first, with filters and cursor paging",
  tag: 'Audit',
  auth: 'secret_key',
  scope: 'environment:audit:read',
  query: Query,
  responses: { 200: { description: 'A page of events', schema: z.object({ data: z.array(EventOut), next_cursor: z.string().nullable() }) } },
  handle: async ({ db, principal, query }) => {
    const filter = {
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      actions: query.action,
      targetType: query.target_type,
      targetId: query.target_id,
      actorType: query.actor_type,
      actorId: query.actor_id,
    };
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: (after, rows) => listAuditEvents(db, principal.environmentId, filter, after, rows),
      cursorOf: (row) => ({ at: row.cursor_at, id: row.id }),
      item: eventOut,
    });
    return jsonResult(200, { data: page.items, next_cursor: page.next ? encodeKeysetCursor(page.next) : null });
  },
});

export const AUDIT_ROUTES = [listAuditEventsRoute];
