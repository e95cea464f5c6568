import type { AuditEvent } from '../audit/audit-event';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import type { SqlExecutor } from '../platform/db/data-api';
import { encodeCursor } from './record-cursor';
import { canonicalJson, payloadHash, recordBinding, recordRowId } from './record-identity';
import { findConnectionRow, ingestRecords, listRecords, type IngestCounts, type RecordQuery, type RecordRow, type RecordsTarget } from './record-store';

/** A record as a sync worker sends it: an `id` (string or number) and any other fields. */
export type IncomingRecord = { id: string | number } & Record<string, unknown>;

export interface IngestInput {
  model: string;
  syncName: string;
  records: IncomingRecord[];
  deleted: (string | number)[];
}

/**
 * Public ids → connection row id, per warm container: an ingest batch is then one statement. The
 * statement re-checks that the row is live, so a stale entry costs one retry, never a wrong write.
 */
const rowIds = new Map<string, { rowId: string; at: number }>();
const ROW_ID_TTL_MS = 60_000;
const ROW_ID_MAX = 10_000;

const cacheKey = (t: RecordsTarget) => JSON.stringify([t.environmentId, t.providerConfigKey, t.connectionId]);

async function connectionRowId(db: SqlExecutor, target: RecordsTarget, fresh: boolean): Promise<string | undefined> {
  const key = cacheKey(target);
  const hit = rowIds.get(key);
  if (!fresh && hit && Date.now() - hit.at < ROW_ID_TTL_MS) return hit.rowId;
  const rowId = await findConnectionRow(db, target);
  if (rowId === undefined) {
    rowIds.delete(key);
    return undefined;
  }
  if (rowIds.size >= ROW_ID_MAX) rowIds.clear();
  rowIds.set(key, { rowId, at: Date.now() });
  return rowId;
}

/** Seals, hashes and writes one batch; undefined when there is no such live connection. */
export async function ingest(
  deps: { db: SqlExecutor; cipher: EnvelopeCipher; hasher: SecretHasher },
  target: RecordsTarget,
  input: IngestInput,
  now: Date,
  audit?: AuditEvent,
): Promise<IngestCounts | undefined> {
  for (const fresh of [false, true]) {
    const rowId = await connectionRowId(deps.db, target, fresh);
    if (rowId === undefined) return undefined;
    const upserts = await Promise.all(
      input.records.map(async (record) => {
        const externalId = String(record.id);
        const id = recordRowId(rowId, input.model, externalId);
        const canonical = canonicalJson(record);
        return {
          id,
          externalId,
          payload: await deps.cipher.encrypt(canonical, recordBinding(target.environmentId, id)),
          hash: payloadHash(deps.hasher, canonical),
        };
      }),
    );
    const counts = await ingestRecords(
      deps.db,
      { environmentId: target.environmentId, connectionRowId: rowId, model: input.model, syncName: input.syncName, upserts, deletes: input.deleted.map(String) },
      now,
      audit,
    );
    if (counts) return counts;
    // The cached row was deleted meanwhile: look the public ids up again (they may name a new connection).
    rowIds.delete(cacheKey(target));
  }
  return undefined;
}

export interface ApiRecord {
  id: string | number;
  [field: string]: unknown;
  _nango_metadata: {
    first_seen_at: string;
    last_modified_at: string;
    last_action: RecordRow['last_action'];
    deleted_at: string | null;
    pruned_at: string | null;
    cursor: string;
  };
}

/** A page of records in Nango's shape, payloads decrypted; `found` false for an unknown connection. */
export async function readRecords(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  target: RecordsTarget,
  query: RecordQuery,
): Promise<{ found: false } | { found: true; rows: { record: ApiRecord; sequence: number }[]; more: boolean }> {
  const page = await listRecords(db, target, query);
  if (!page.found) return page;
  const rows = await Promise.all(
    page.rows.map(async (row) => {
      const payload = row.payload ? await cipher.decryptJson<Record<string, unknown>>(row.payload, recordBinding(target.environmentId, row.id)) : { id: row.external_id };
      const record = {
        ...payload,
        id: (payload.id as string | number | undefined) ?? row.external_id,
        _nango_metadata: {
          first_seen_at: row.first_seen_at.toISOString(),
          last_modified_at: row.updated_at.toISOString(),
          last_action: row.last_action,
          deleted_at: row.deleted_at?.toISOString() ?? null,
          pruned_at: row.pruned_at?.toISOString() ?? null,
          cursor: encodeCursor(row.cursor),
        },
      };
      return { record, sequence: Number(row.cursor) };
    }),
  );
  return { found: true, rows, more: page.more };
}
