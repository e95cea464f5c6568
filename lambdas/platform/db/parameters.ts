import type { SqlParameter, TypeHint } from '@aws-sdk/client-rds-data';

/**
 * Values a statement can bind. Plain strings go to PostgreSQL as varchar (as on the real Data API);
 * a string meant for a uuid, jsonb, numeric, date or time column must say so with one of the
 * wrappers below, or the SQL must cast it.
 */
export type SqlValue = string | number | boolean | Date | Uint8Array | null | undefined | TypedValue | JsonObject;

type JsonObject = Record<string, unknown> | unknown[];

export class TypedValue {
  constructor(
    readonly hint: TypeHint,
    readonly value: string,
  ) {}
}

export const uuid = (value: string): TypedValue => new TypedValue('UUID', value);
export const json = (value: unknown): TypedValue => new TypedValue('JSON', JSON.stringify(value));
export const decimal = (value: string): TypedValue => new TypedValue('DECIMAL', value);
export const date = (value: string): TypedValue => new TypedValue('DATE', value);

/** Data API TIMESTAMP format: `YYYY-MM-DD HH:MM:SS.FFF`, UTC, no zone. */
export function formatTimestamp(value: Date): string {
  if (Number.isNaN(value.getTime())) throw new TypeError('Invalid Date bound as a timestamp');
  return value.toISOString().replace('T', ' ').replace('Z', '');
}

export type Parameters = Record<string, SqlValue>;

export function toSqlParameters(params: Parameters = {}): SqlParameter[] {
  return Object.entries(params).map(([name, value]) => toSqlParameter(name, value));
}

function toSqlParameter(name: string, value: SqlValue): SqlParameter {
  if (value === null || value === undefined) return { name, value: { isNull: true } };
  if (value instanceof TypedValue) return { name, value: { stringValue: value.value }, typeHint: value.hint };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`Parameter ${name} is not a finite number`);
    return Number.isSafeInteger(value) ? { name, value: { longValue: value } } : { name, value: { doubleValue: value } };
  }
  if (value instanceof Date) return { name, value: { stringValue: formatTimestamp(value) }, typeHint: 'TIMESTAMP' };
  if (value instanceof Uint8Array) return { name, value: { blobValue: value } };
  // Objects and arrays are JSON documents: the Data API has no array parameters.
  return { name, value: { stringValue: JSON.stringify(value) }, typeHint: 'JSON' };
}

/** The Data API has no array parameters: arrays travel as a PostgreSQL array literal. */
export function toTextArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
