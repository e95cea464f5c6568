import { gzipSync } from 'node:zlib';

/** The one compression level of our answers: a page is measured as its answer will be compressed. */
export const GZIP_LEVEL = 6;

/** How often a page is compressed to find its cut before the cut falls back to one that fits by the bound. */
const TRIES = 4;

/** At most what deflate makes of `bytes` input (it stores what does not shrink). */
function gzipBound(bytes: number): number {
  return bytes + Math.ceil(bytes / 1000) + 64;
}

/**
 * How many of `texts` (in order) gzip together to at most `budget` bytes; at least one. The page
 * is compressed whole (synchronously: a page is the request's only work) and, when over, cut in
 * proportion and compressed again; after a few tries the cut is where the uncompressed size alone
 * guarantees the fit.
 */
export function gzipFit(texts: string[], budget: number): number {
  let count = texts.length;
  for (let attempt = 0; attempt < TRIES && count > 1; attempt++) {
    const size = gzipSync(texts.slice(0, count).join(''), { level: GZIP_LEVEL }).length;
    if (size <= budget) return count;
    count = Math.max(1, Math.floor((count * budget * 0.95) / size));
  }
  if (count <= 1) return 1;
  let bytes = 0;
  let fits = 0;
  while (fits < count && gzipBound(bytes + Buffer.byteLength(texts[fits])) <= budget) bytes += Buffer.byteLength(texts[fits++]);
  return Math.max(1, fits);
}
