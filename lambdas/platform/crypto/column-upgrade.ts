import { compareAndSetColumn, readColumnPage, type ColumnRef } from '../db/column-pages';
import type { SqlExecutor } from '../db/data-api';
import type { Purpose } from './binding';
import { DecryptionError, type DecryptionFailure } from './decryption-error';
import type { EnvelopeCipher } from './envelope-cipher';
import { inspectEnvelope, type EnvelopeInfo } from './envelope-format';

/**
 * Re-encrypts one encrypted column in place, in batches, while the application keeps running:
 * each row is written with compare-and-set on its old bytes, so a concurrent write always wins and
 * the row is simply counted as a conflict. Rows are visited once, in id order; `lastId` resumes.
 *
 * Bindings follow the convention every writer uses: table and field are the SQL table and column
 * names, rowId is the uuid primary key as text.
 */
export interface EncryptedColumn {
  table: string;
  column: string;
  purpose: Purpose;
  /** uuid primary key column. Default 'id'. */
  idColumn?: string;
  /** Column holding the environment id ('id' for the environments table itself). Default 'environment_id'. */
  environmentColumn?: string;
}

export interface ColumnUpgradeOptions {
  /** Rows per batch at most. Default 100. */
  batchSize?: number;
  /** Envelope bytes per batch at most (the Data API answers at most 1 MiB); the first row always fits. Default 512 KiB. */
  batchBytes?: number;
  /** Start after this id (a previous report's lastId). */
  after?: string;
  /** Which envelopes to rewrite. Default: all (e.g. after a KMS key rotation). */
  only?: (envelope: EnvelopeInfo) => boolean;
}

export interface ColumnUpgradeReport {
  scanned: number;
  upgraded: number;
  skipped: number;
  /** Changed by someone else between read and write: left as they wrote it. */
  conflicts: number;
  /** Could not be decrypted; left unchanged. Ids and reasons only. */
  failed: { id: string; reason: DecryptionFailure }[];
  lastId?: string;
}

export async function reencryptColumn(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  spec: EncryptedColumn,
  options: ColumnUpgradeOptions = {},
): Promise<ColumnUpgradeReport> {
  const ref: ColumnRef = { table: spec.table, column: spec.column, idColumn: spec.idColumn ?? 'id', environmentColumn: spec.environmentColumn ?? 'environment_id' };
  const batchSize = options.batchSize ?? 100;
  const only = options.only ?? (() => true);
  const report: ColumnUpgradeReport = { scanned: 0, upgraded: 0, skipped: 0, conflicts: 0, failed: [], lastId: options.after };

  // Keys cached before this run may predate a KMS rotation: every rewrite gets a new one.
  cipher.retireDataKeys();

  for (;;) {
    const rows = await readColumnPage(db, ref, report.lastId, batchSize, options.batchBytes ?? 512 * 1024);
    if (rows.length === 0) return report;
    report.scanned += rows.length;
    report.lastId = rows[rows.length - 1].id;

    const updates: { id: string; old: Buffer; next: Buffer }[] = [];
    for (const row of rows) {
      const binding = { environmentId: row.environment_id, purpose: spec.purpose, table: spec.table, rowId: row.id, field: spec.column };
      try {
        if (!only(inspectEnvelope(row.value))) {
          report.skipped += 1;
          continue;
        }
        updates.push({ id: row.id, old: row.value, next: await cipher.reencrypt(row.value, binding) });
      } catch (err) {
        if (!(err instanceof DecryptionError)) throw err;
        report.failed.push({ id: row.id, reason: err.reason });
      }
    }
    if (updates.length > 0) {
      const written = await compareAndSetColumn(db, ref, updates);
      report.upgraded += written;
      report.conflicts += updates.length - written;
    }
  }
}
