import * as z from 'zod';

/*
 * A position in a keyset-paginated listing, and its opaque text form for the `cursor` query
 * parameter. A store concept (its queries resume after it), encoded here once for every listing.
 */

/** A position in a (timestamp DESC, id DESC) listing; `at` is ISO-8601 UTC with milli- or microseconds. */
export interface KeysetCursor {
  at: string;
  id: string;
}

export function encodeKeysetCursor(cursor: KeysetCursor): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`, 'utf8').toString('base64url');
}

const CURSOR_AT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;
const CURSOR_ID = z.guid();

/** The cursor, or undefined unless its instant is a real UTC date PostgreSQL accepts and its id a UUID. */
export function decodeKeysetCursor(text: string): KeysetCursor | undefined {
  const parts = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (parts.length !== 2) return undefined;
  const [at, id] = parts;
  if (!CURSOR_AT.test(at) || !isRealInstant(at.slice(0, 23) + 'Z') || !CURSOR_ID.safeParse(id).success) return undefined;
  return { at, id };
}

/** Date's own parser, round-tripped: rejects month 13, 30 February, hour 24… and year 0, which PostgreSQL has not. */
function isRealInstant(isoMillis: string): boolean {
  const date = new Date(isoMillis);
  return !Number.isNaN(date.getTime()) && date.getUTCFullYear() >= 1 && date.toISOString() === isoMillis;
}

/** A position in a listing ordered by a bigint sequence column (e.g. connections.seq): after the row with this value. */
const SEQUENCE_PREFIX = 's1:';

export function encodeSequenceCursor(sequence: number): string {
  return Buffer.from(`${SEQUENCE_PREFIX}${sequence}`, 'utf8').toString('base64url');
}

/** The sequence value, or undefined unless the text is one of ours. */
export function decodeSequenceCursor(text: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const digits = decoded.startsWith(SEQUENCE_PREFIX) ? decoded.slice(SEQUENCE_PREFIX.length) : '';
  return /^[1-9]\d{0,14}$/.test(digits) ? Number(digits) : undefined;
}

/** A position in a listing ordered by a short name (byte order): after the row with this name. */
const NAME_PREFIX = 'n1:';
const NAME = /^[\x21-\x7e]{1,255}$/;

export function encodeNameCursor(name: string): string {
  return Buffer.from(`${NAME_PREFIX}${name}`, 'utf8').toString('base64url');
}

/** The name, or undefined unless the text is one of ours (printable ASCII, as names are). */
export function decodeNameCursor(text: string): string | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const name = decoded.startsWith(NAME_PREFIX) ? decoded.slice(NAME_PREFIX.length) : '';
  return NAME.test(name) ? name : undefined;
}
