import * as z from 'zod';

/*
 * Query parameters of every listing route: a `limit` and an opaque `cursor` that resumes after
 * the last row of the previous page (`next_cursor`; pagedList in paged-list.ts cuts the pages).
 * An undecodable cursor is a 400 like any other invalid query parameter.
 */

/** The most rows one page may ask for: Nango's default page of connections. */
export const MAX_PAGE_ROWS = 10_000;

/** `limit`: 1 to MAX_PAGE_ROWS, `fallback` when absent. */
export function pageLimit(fallback: number) {
  return z.coerce.number().int().min(1).max(MAX_PAGE_ROWS).default(fallback);
}

export const PageLimit = pageLimit(100);

/** The `cursor` query parameter, decoded by `decode` (undefined: not one of ours). */
export function cursorParam<T>(decode: (text: string) => T | undefined) {
  return z
    .string()
    .max(200)
    .transform((v, ctx) => decode(v) ?? (ctx.addIssue({ code: 'custom', message: 'Invalid cursor' }), z.NEVER))
    .optional();
}
