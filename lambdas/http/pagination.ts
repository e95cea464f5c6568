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
