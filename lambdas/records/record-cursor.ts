/**
 * `GET /records` cursors: opaque base64 of the record's change sequence number (records.cursor,
 * taken from one sequence at every change), so a page resumes exactly after the last record seen.
 */
const PREFIX = 'lk1:';

export function encodeCursor(sequence: number): string {
  return Buffer.from(`${PREFIX}${sequence}`, 'utf8').toString('base64');
}

/** The sequence number, or undefined when the text is not one of our cursors. */
export function decodeCursor(text: string): number | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  if (!decoded.startsWith(PREFIX)) return undefined;
  const digits = decoded.slice(PREFIX.length);
  if (!/^\d{1,15}$/.test(digits)) return undefined;
  return Number(digits);
}
