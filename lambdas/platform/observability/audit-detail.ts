import { jsonbTextBytes } from '../db/stored-document';

/*
 * An audit event's detail, bounded before it is stored or logged: the Data API returns at most
 * 64 KB per row, so one event naming a thousand connections would make GET /audit-events fail.
 * Long arrays keep their first items and gain a sibling `<field>_count`, long strings are cut, and
 * the detail says `truncated: true` when anything was. Hand-written: the budget is jsonb text bytes,
 * which no JSON truncation library measures.
 * It lives in platform, not audit/, because every writer reaches audit_events through
 * change-statement.ts, and platform never imports a domain.
 */

/** Bytes of a stored detail at most (jsonb text); the row's other columns stay well under the rest of 64 KB. */
export const AUDIT_DETAIL_MAX_BYTES = 8 * 1024;
/** Items kept of an array. */
export const AUDIT_DETAIL_MAX_ITEMS = 20;
/** Characters kept of a string. */
export const AUDIT_DETAIL_MAX_CHARS = 256;
const MAX_DEPTH = 6;

function boundValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') {
    return value.slice(0, AUDIT_DETAIL_MAX_CHARS);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    return value.slice(0, AUDIT_DETAIL_MAX_ITEMS).map((item) => boundValue(item, depth + 1));
  }
  return boundObject(value as Record<string, unknown>, depth + 1);
}

function boundObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  const bounded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    bounded[key] = boundValue(value, depth);
    if (Array.isArray(value) && value.length > AUDIT_DETAIL_MAX_ITEMS) bounded[`${key}_count`] = value.length;
  }
  return bounded;
}

/** `detail` as stored: within AUDIT_DETAIL_MAX_BYTES, marked `truncated: true` when anything was cut. */
export function boundedAuditDetail(detail: Record<string, unknown>): Record<string, unknown> {
  if (jsonbTextBytes(detail) <= AUDIT_DETAIL_MAX_BYTES) return detail;
  // Over the budget, so something is cut below: the mark is always due.
  const bounded = boundObject(detail, 0);
  if (jsonbTextBytes(bounded) + 20 <= AUDIT_DETAIL_MAX_BYTES) return { ...bounded, truncated: true };
  // Still too large (many fields): keep only what it was and how large.
  return { truncated: true, detail_bytes: jsonbTextBytes(detail), fields: Object.keys(detail).slice(0, AUDIT_DETAIL_MAX_ITEMS).map((k) => k.slice(0, 64)) };
}
