import type { FieldDef } from 'pg';
import { databaseError, unsupportedResult } from './errors';
import type { PgType, ValueKind } from './types';

/*
 * PostgreSQL text output → Data API result shapes (`Field` unions, columnMetadata, formattedRecords).
 * Working from the text output (never node-postgres' parsed values) keeps every digit of numerics and
 * the exact timestamp text, as the service returns them.
 */

export interface EncodeOptions {
  /** resultSetOptions.longReturnType = STRING */
  longAsString: boolean;
  /** resultSetOptions.decimalReturnType = DOUBLE_OR_LONG */
  decimalAsNumber: boolean;
}

export type Field =
  | { isNull: true }
  | { longValue: number }
  | { doubleValue: number }
  | { booleanValue: boolean }
  | { stringValue: string }
  | { blobValue: string }
  | { arrayValue: Record<string, unknown[]> };

export type RawRow = (string | null)[];

/** The service's per-row limit (troubleshooting guide: 64 KB per row). */
export const MAX_ROW_BYTES = 64 * 1024;

// ---- scalars ---------------------------------------------------------------------------------

/** timestamptz comes out in the session zone (UTC); the service returns it as UTC without an offset. */
function utcTimestamp(text: string): string {
  const m = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(text);
  if (!m) return text; // infinity, BC dates: leave PostgreSQL's text alone
  const offset = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60 + Number(m[11] ?? 0));
  const fraction = m[7] ?? '';
  if (offset === 0) return `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}${fraction}`;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - offset * 1000;
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}${fraction}`;
}

/** timetz likewise, shifted to UTC within the day. */
function utcTime(text: string): string {
  const m = /^(\d\d):(\d\d):(\d\d)(\.\d+)?([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?$/.exec(text);
  if (!m) return text;
  const offset = (m[5] === '-' ? -1 : 1) * (Number(m[6]) * 3600 + Number(m[7] ?? 0) * 60 + Number(m[8] ?? 0));
  const day = 86_400;
  const secs = (((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - offset) % day) + day) % day;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(secs / 3600))}:${pad(Math.floor(secs / 60) % 60)}:${pad(secs % 60)}${m[4] ?? ''}`;
}

/** Text the service returns for string-typed kinds. */
function asText(kind: ValueKind, raw: string): string {
  if (kind === 'timestamptz') return utcTimestamp(raw);
  if (kind === 'timetz') return utcTime(raw);
  return raw; // timestamp text is already `YYYY-MM-DD HH:MM:SS[.ffffff]` with trailing zeros trimmed
}

function byteaBase64(raw: string): string {
  // bytea_output = hex (the default): `\x0102ff`
  return Buffer.from(raw.startsWith('\\x') ? raw.slice(2) : raw, 'hex').toString('base64');
}

function decimalIsLong(raw: string): boolean {
  return /^-?\d+$/.test(raw);
}

function encodeScalar(raw: string, type: PgType, options: EncodeOptions): Field {
  switch (type.kind) {
    case 'long':
      return options.longAsString ? { stringValue: raw } : { longValue: Number(raw) };
    case 'double':
      return { doubleValue: Number(raw) };
    case 'bool':
      return { booleanValue: raw === 't' };
    case 'bytes':
      return { blobValue: byteaBase64(raw) };
    case 'decimal':
      if (!options.decimalAsNumber || !/^-?\d+(\.\d+)?$/.test(raw)) return { stringValue: raw };
      return decimalIsLong(raw) ? { longValue: Number(raw) } : { doubleValue: Number(raw) };
    default:
      return { stringValue: asText(type.kind, raw) };
  }
}

// ---- arrays ------------------------------------------------------------------------------------

/** Parses PostgreSQL's array output (`{1,2}`, `{"a b",NULL}`); nested braces mean a multidimensional array. */
export function parseArrayLiteral(text: string): (string | null)[] {
  let s = text;
  if (s.startsWith('[')) s = s.slice(s.indexOf('=') + 1); // `[0:1]={...}` when lower bounds are not 1
  const items: (string | null)[] = [];
  if (s === '{}') return items;
  let i = 1;
  while (i < s.length) {
    if (s[i] === '{') throw unsupportedResult('The result contains a multidimensional array, which is not supported.');
    if (s[i] === '"') {
      let value = '';
      i += 1;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\') i += 1;
        value += s[i];
        i += 1;
      }
      items.push(value);
      i += 1; // closing quote
    } else {
      let end = i;
      while (end < s.length && s[end] !== ',' && s[end] !== '}') end += 1;
      const token = s.slice(i, end);
      items.push(token.toUpperCase() === 'NULL' ? null : token);
      i = end;
    }
    i += 1; // `,` or the final `}`
  }
  return items;
}

function encodeArray(raw: string, element: PgType, options: EncodeOptions): Field {
  const items = parseArrayLiteral(raw);
  const map = <T>(f: (v: string) => T) => items.map((v) => (v === null ? null : f(v)));
  switch (element.kind) {
    case 'long':
      return options.longAsString ? { arrayValue: { stringValues: items } } : { arrayValue: { longValues: map(Number) } };
    case 'double':
      return { arrayValue: { doubleValues: map(Number) } };
    case 'bool':
      return { arrayValue: { booleanValues: map((v) => v === 't') } };
    case 'decimal':
      return options.decimalAsNumber ? { arrayValue: { doubleValues: map(Number) } } : { arrayValue: { stringValues: items } };
    default:
      return { arrayValue: { stringValues: map((v) => asText(element.kind, v)) } };
  }
}

export function encodeValue(raw: string | null, type: PgType, options: EncodeOptions): Field {
  if (raw === null) return { isNull: true };
  return type.element ? encodeArray(raw, type.element, options) : encodeScalar(raw, type, options);
}

// ---- rows -----------------------------------------------------------------------------------------

function rawBytes(raw: string | null, type: PgType): number {
  if (raw === null) return 0;
  if (type.kind === 'bytes') return Math.max(0, (raw.length - 2) / 2);
  return Buffer.byteLength(raw);
}

/** Enforces the 64 KB row limit on the database's values (before any JSON overhead). */
export function checkRowSizes(rows: readonly RawRow[], types: readonly PgType[]): void {
  for (const row of rows) {
    let size = 0;
    for (let i = 0; i < row.length; i += 1) size += rawBytes(row[i], types[i]);
    if (size > MAX_ROW_BYTES) {
      throw databaseError(`Database returned a row of ${size} bytes, more than the allowed row size limit of ${MAX_ROW_BYTES} bytes`);
    }
  }
}

export function encodeRecords(rows: readonly RawRow[], types: readonly PgType[], options: EncodeOptions): Field[][] {
  return rows.map((row) => row.map((raw, i) => encodeValue(raw, types[i], options)));
}

/** One JSON value of formattedRecords; built as text so int8 and numeric keep every digit. */
function jsonValue(raw: string | null, type: PgType, options: EncodeOptions): string {
  if (raw === null) return 'null';
  if (type.element) {
    const field = encodeArray(raw, type.element, options) as { arrayValue: Record<string, unknown[]> };
    return JSON.stringify(Object.values(field.arrayValue)[0]);
  }
  switch (type.kind) {
    case 'long':
      return options.longAsString ? JSON.stringify(raw) : raw;
    case 'double':
      return JSON.stringify(Number(raw)); // NaN/Infinity have no JSON form: null
    case 'bool':
      return raw === 't' ? 'true' : 'false';
    case 'bytes':
      return JSON.stringify(byteaBase64(raw));
    case 'decimal':
      return options.decimalAsNumber && /^-?\d+(\.\d+)?$/.test(raw) ? raw : JSON.stringify(raw);
    default:
      return JSON.stringify(asText(type.kind, raw));
  }
}

/** formatRecordsAs JSON: one string holding an array of objects keyed by column label. */
export function formatRecords(fields: readonly FieldDef[], rows: readonly RawRow[], types: readonly PgType[], options: EncodeOptions): string {
  const keys = fields.map((f) => JSON.stringify(f.name));
  const objects = rows.map((row) => `{${row.map((raw, i) => `${keys[i]}:${jsonValue(raw, types[i], options)}`).join(',')}}`);
  return `[${objects.join(',')}]`;
}
