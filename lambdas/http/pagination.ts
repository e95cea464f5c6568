import * as z from 'zod';

/*
 * Keyset pagination shared by the listing routes (audit events, webhook deliveries, records): a
 * `limit` and an opaque `cursor` that resumes after the last row of the previous page. An
 * undecodable cursor is a 400 like any other invalid query parameter.
 */

export const PageLimit = z.coerce.number().int().min(1).max(500).default(100);

/** The `cursor` query parameter, decoded by `decode` (undefined: not one of ours). */
export function cursorParam<T>(decode: (text: string) => T | undefined) {
  return z
    .string()
    .max(200)
    .transform((v, ctx) => decode(v) ?? (ctx.addIssue({ code: 'custom', message: 'Invalid cursor' }), z.NEVER))
    .optional();
}

/** A position in a (timestamp DESC, id DESC) listing; `at` is ISO-8601 UTC with milli- or microseconds. */
export interface KeysetCursor {
  at: string;
  id: string;
}

export function encodeKeysetCursor(cursor: KeysetCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`, 'utf8').toString('base64url');
}

export function decodeKeysetCursor(text: string): KeysetCursor | undefined {
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/.test(at ?? '') || !/^[0-9a-f-]{36}$/.test(id ?? '')) return undefined;
  return { at, id };
}
