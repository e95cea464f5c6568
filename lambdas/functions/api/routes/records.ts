import * as z from 'zod';
import type { AuditBase } from '../../../audit/audit-event';
import { auditFrom } from '../../../http/audit-request';
import { ConnectionIdSchema } from '../../../connections/connection-schema';
import { ApiError, jsonResult } from '../../../http/errors';
import { IntegrationKeySchema } from '../../../integrations/integration-schema';
import { defineRoute, type AnyRoute } from '../../../http/route';
import { parseOrThrow } from '../../../http/validation';
import { decodeCursor, encodeCursor } from '../../../records/record-cursor';
import { pagedList } from '../../../http/paged-list';
import { ingest, readRecords } from '../../../records/record-service';
import type { LastAction, RecordsTarget } from '../../../records/record-store';
import { finishSyncRun, recordSyncRun, type SyncRunRow } from '../../../records/sync-store';
import { cursorParam } from '../../../http/pagination';
import { header } from '../../../http/request-parts';

/*
 * The records cache: Nango's `GET /records` (§2.5 of the reference) for readers, and our ingest
 * and sync-run routes for the customer's sync workers (scope environment:records:write).
 */

const WRITE = 'environment:records:write';
/** Per ingest request: keeps a batch one statement well inside the Data API's limits. */
export const MAX_RECORDS_PER_BATCH = 1000;
/** A record's JSON; sealed and base64-encoded it must fit a Data API result row (64 KB). */
export const MAX_RECORD_BYTES = 45 * 1024;

const Model = z.string().regex(/^[A-Z][a-zA-Z0-9_-]+$/, 'Must start with an upper-case letter, then letters, digits, _ or -').max(255);
const SyncName = z.string().min(1).max(255);
const ConnectionId = ConnectionIdSchema;
const ProviderConfigKey = IntegrationKeySchema;
const RecordId = z.union([z.string().min(1).max(255), z.number().int().refine(Number.isSafeInteger)]);
const OneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item)]).transform((v) => (Array.isArray(v) ? v : [v]));

const ListQuery = z
  .object({
    model: Model,
    variant: z.string().min(1).max(255).optional(),
    modified_after: z.iso.datetime({ offset: true }).optional(),
    delta: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(100),
    filter: z
      .string()
      .transform((v) => v.split(',').map((a) => a.trim().toUpperCase()))
      .pipe(z.array(z.enum(['ADDED', 'UPDATED', 'DELETED'])).min(1))
      .optional(),
    cursor: cursorParam(decodeCursor),
    ids: OneOrMany(z.string().min(1).max(255)).pipe(z.array(z.string()).max(100)).optional(),
  })
  .strict();

const RecordsHeaders = z.object({ 'connection-id': ConnectionId, 'provider-config-key': ProviderConfigKey });

const IncomingRecord = z
  .object({ id: RecordId })
  .catchall(z.unknown())
  .refine((r) => !('_nango_metadata' in r), { message: '_nango_metadata is set by the server', path: ['_nango_metadata'] });

const IngestBody = z
  .object({
    connection_id: ConnectionId,
    provider_config_key: ProviderConfigKey,
    model: Model,
    sync_name: SyncName,
    records: z.array(IncomingRecord).max(MAX_RECORDS_PER_BATCH).default([]),
    deleted: z.array(RecordId).max(MAX_RECORDS_PER_BATCH).default([]),
  })
  .strict()
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.records.forEach((r, i) => {
      const id = String(r.id);
      if (seen.has(id)) ctx.addIssue({ code: 'custom', message: `Duplicate record id ${id}`, path: ['records', i, 'id'] });
      seen.add(id);
    });
    const deleted = new Set<string>();
    body.deleted.forEach((d, i) => {
      const id = String(d);
      if (seen.has(id) || deleted.has(id)) ctx.addIssue({ code: 'custom', message: `Record id ${id} is given twice`, path: ['deleted', i] });
      deleted.add(id);
    });
    if (body.records.length + body.deleted.length > MAX_RECORDS_PER_BATCH) {
      ctx.addIssue({ code: 'custom', message: `At most ${MAX_RECORDS_PER_BATCH} records and deletions per request`, path: ['records'] });
    }
  });

const RunStatus = z.enum(['running', 'success', 'error']);
const SyncRunBody = z
  .object({
    connection_id: ConnectionId,
    provider_config_key: ProviderConfigKey,
    sync_name: SyncName,
    status: RunStatus,
    started_at: z.iso.datetime({ offset: true }).optional(),
    finished_at: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((b) => b.status !== 'running' || b.finished_at === undefined, {
    message: 'A running run has no finished_at',
    path: ['finished_at'],
  });
const FinishBody = z.object({ status: z.enum(['success', 'error']) }).strict();
const RunParams = z.object({ runId: z.uuid() }).strict();

const Metadata = z.object({
  first_seen_at: z.string(),
  last_modified_at: z.string(),
  last_action: z.enum(['ADDED', 'UPDATED', 'DELETED']),
  deleted_at: z.string().nullable(),
  pruned_at: z.string().nullable(),
  cursor: z.string(),
});
const RecordsOut = z.object({
  next_cursor: z.string().nullable(),
  records: z.array(z.object({ id: z.union([z.string(), z.number()]), _nango_metadata: Metadata }).catchall(z.unknown())),
});
const IngestOut = z.object({ added: z.number(), updated: z.number(), unchanged: z.number(), deleted: z.number() });
const RunOut = z.object({
  id: z.uuid(),
  sync_name: z.string(),
  status: z.enum(['running', 'success', 'error', 'cancelled']),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  last_success_at: z.string().nullable(),
});

const unknownConnection = () => new ApiError(400, 'unknown_connection', 'Provided ConnectionId and ProviderConfigKey does not match a valid connection');
/** Nango accepts modified_after within the last 12 months. */
const MODIFIED_AFTER_WINDOW_MS = 366 * 86_400_000;

export const listRecordsRoute = defineRoute({
  method: 'GET',
  path: '/records',
  summary: "A page of a connection's cached records of one model, in change order (headers Connection-Id and Provider-Config-Key)",
  tag: 'Records',
  auth: 'secret_key',
  scope: 'environment:records:read',
  query: ListQuery,
  documentedHeaders: RecordsHeaders,
  responses: {
    200: { description: 'Records with _nango_metadata; follow next_cursor until it is null', schema: RecordsOut },
    400: { description: 'invalid_headers, invalid_query_params, or unknown_connection' },
  },
  handle: async ({ db, principal, query, event, now, services }) => {
    const headers = parseOrThrow(
      RecordsHeaders,
      { 'connection-id': header(event, 'connection-id'), 'provider-config-key': header(event, 'provider-config-key') },
      'invalid_headers',
    );
    const since = query.modified_after ?? query.delta;
    const modifiedAfter = since ? new Date(since) : undefined;
    if (modifiedAfter && (modifiedAfter.getTime() < now.getTime() - MODIFIED_AFTER_WINDOW_MS || modifiedAfter.getTime() > now.getTime() + 86_400_000)) {
      const path = query.modified_after ? 'modified_after' : 'delta';
      throw new ApiError(400, 'invalid_query_params', 'Invalid query parameters', [{ code: 'custom', message: 'Must be within the last 12 months', path: [path] }]);
    }
    const target: RecordsTarget = { environmentId: principal.environmentId, connectionId: headers['connection-id'], providerConfigKey: headers['provider-config-key'] };
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: async (after, rows) => {
        const read = await readRecords(db, services.cipher, target, {
          model: query.model,
          after: after ?? 0,
          modifiedAfter,
          actions: (query.filter ?? []) as LastAction[],
          ids: query.ids ?? [],
          limit: rows,
        });
        if (!read.found) throw unknownConnection();
        return read;
      },
      cursorOf: (row) => row.sequence,
      item: (row) => row.record,
    });
    return jsonResult(200, { next_cursor: page.next === undefined ? null : encodeCursor(page.next), records: page.items }, { 'cache-control': 'no-store' });
  },
});

export const ingestRecordsRoute = defineRoute({
  method: 'POST',
  path: '/records',
  summary: "Writes a batch of a connection's records of one model: upserts by id (unchanged payloads keep their cursor) and delete markers (our extension)",
  tag: 'Records',
  auth: 'secret_key',
  scope: WRITE,
  body: IngestBody,
  responses: {
    200: { description: 'What the batch changed', schema: IngestOut },
    400: { description: 'invalid_body (duplicate ids, a record over 45 KiB of JSON, more than 1000 items), or unknown_connection' },
  },
  handle: async (request) => {
    const { db, principal, body, now } = request;
    body.records.forEach((record, i) => {
      if (Buffer.byteLength(JSON.stringify(record)) > MAX_RECORD_BYTES) {
        throw new ApiError(400, 'invalid_body', 'Invalid request body', [{ code: 'too_big', message: `A record may hold at most ${MAX_RECORD_BYTES} bytes of JSON`, path: ['records', String(i)] }]);
      }
    });
    const target: RecordsTarget = { environmentId: principal.environmentId, connectionId: body.connection_id, providerConfigKey: body.provider_config_key };
    const audit = {
      ...auditFrom(request),
      action: 'records.ingest' as const,
      targetType: 'connection',
      targetId: null,
      detail: { provider_config_key: body.provider_config_key, connection_id: body.connection_id, model: body.model, sync_name: body.sync_name, records: body.records.length, deleted: body.deleted.length },
    };
    const counts = await ingest(
      { db, cipher: request.services.cipher, hasher: await request.services.secretHasher() },
      target,
      { model: body.model, syncName: body.sync_name, records: body.records as { id: string | number }[], deleted: body.deleted },
      now,
      audit,
    );
    if (!counts) throw unknownConnection();
    return jsonResult(200, counts);
  },
});

function runOut(row: SyncRunRow) {
  return {
    id: row.id,
    sync_name: row.sync_name,
    status: row.status,
    started_at: row.started_at.toISOString(),
    finished_at: row.finished_at?.toISOString() ?? null,
    last_success_at: row.last_success_at?.toISOString() ?? null,
  };
}

function runAudit(base: AuditBase, detail: Record<string, unknown>) {
  return { ...base, action: 'sync_run.write' as const, targetType: 'sync_run', targetId: null, detail };
}

export const recordSyncRunRoute = defineRoute({
  method: 'POST',
  path: '/sync-runs',
  summary: "Records a run of a connection's sync: `running` (finish it with PATCH), or one that already ended (our extension)",
  tag: 'Records',
  auth: 'secret_key',
  scope: WRITE,
  body: SyncRunBody,
  responses: { 201: { description: 'The run, with the sync’s last successful execution', schema: RunOut }, 400: { description: 'invalid_body or unknown_connection' } },
  handle: async (request) => {
    const { db, principal, body, now } = request;
    const finishedAt = body.status === 'running' ? null : body.finished_at ? new Date(body.finished_at) : now;
    const startedAt = body.started_at ? new Date(body.started_at) : (finishedAt ?? now);
    if (startedAt.getTime() > now.getTime() + 60_000 || (finishedAt && finishedAt < startedAt)) {
      throw new ApiError(400, 'invalid_body', 'Invalid request body', [{ code: 'custom', message: 'started_at must not be in the future nor after finished_at', path: ['started_at'] }]);
    }
    const target: RecordsTarget = { environmentId: principal.environmentId, connectionId: body.connection_id, providerConfigKey: body.provider_config_key };
    const audit = runAudit(auditFrom(request), { provider_config_key: body.provider_config_key, connection_id: body.connection_id, sync_name: body.sync_name, status: body.status });
    const row = await recordSyncRun(db, target, { syncName: body.sync_name, status: body.status, startedAt, finishedAt }, audit);
    if (!row) throw unknownConnection();
    return jsonResult(201, runOut(row));
  },
});

export const finishSyncRunRoute = defineRoute({
  method: 'PATCH',
  path: '/sync-runs/{runId}',
  summary: 'Ends a running sync run with success or error (our extension)',
  tag: 'Records',
  auth: 'secret_key',
  scope: WRITE,
  params: RunParams,
  body: FinishBody,
  responses: { 200: { description: 'The run', schema: RunOut }, 404: { description: 'No such run' }, 409: { description: 'The run has already ended' } },
  handle: async (request) => {
    const { db, principal, params, body, now } = request;
    const outcome = await finishSyncRun(db, principal.environmentId, params.runId, body.status, now, runAudit(auditFrom(request), { status: body.status }));
    if (outcome === 'not_found') throw new ApiError(404, 'not_found', 'Unknown sync run');
    if (outcome === 'not_running') throw new ApiError(409, 'conflict', 'The sync run has already ended');
    return jsonResult(200, runOut(outcome));
  },
});

export const RECORD_ROUTES: AnyRoute[] = [listRecordsRoute, ingestRecordsRoute, recordSyncRunRoute, finishSyncRunRoute];
