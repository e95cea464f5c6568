import type { ColumnMetadata, Field, ArrayValue } from '@aws-sdk/client-rds-data';

export type Row = Record<string, unknown>;

/**
 * Turns Data API records into plain objects keyed by column label, decoding by column type:
 * timestamps to Date (the service sends UTC without a zone), json/jsonb parsed, bytea to Buffer.
 * numeric stays a string so money and big numbers keep their precision.
 */
export function toRows(records: Field[][] | undefined, columns: ColumnMetadata[] | undefined): Row[] {
  if (!records || records.length === 0) return [];
  if (!columns) throw new Error('Data API response has records but no columnMetadata');
  return records.map((record) => {
    const row: Row = {};
    record.forEach((field, i) => {
      const column = columns[i];
      row[column.label ?? column.name ?? `column${i}`] = decodeField(field, column.typeName ?? '');
    });
    return row;
  });
}

function decodeField(field: Field, typeName: string): unknown {
  if (field.isNull) return null;
  if (field.longValue !== undefined) return field.longValue;
  if (field.doubleValue !== undefined) return field.doubleValue;
  if (field.booleanValue !== undefined) return field.booleanValue;
  if (field.blobValue !== undefined) return Buffer.from(field.blobValue);
  if (field.arrayValue !== undefined) return decodeArray(field.arrayValue);
  const text = field.stringValue;
  if (text === undefined) return null;
  switch (typeName) {
    case 'timestamptz':
    case 'timestamp':
      return parseTimestamp(text);
    case 'json':
    case 'jsonb':
      return JSON.parse(text);
    default:
      return text;
  }
}

function decodeArray(value: ArrayValue): unknown[] {
  return (
    value.longValues ??
    value.doubleValues ??
    value.booleanValues ??
    value.stringValues ??
    (value.arrayValues ?? []).map((inner) => (inner ? decodeArray(inner) : null))
  );
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` in UTC → Date (millisecond precision). */
export function parseTimestamp(text: string): Date {
  const parsed = new Date(`${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(parsed.getTime())) throw new Error(`Unparseable timestamp from the Data API: ${text}`);
  return parsed;
}
