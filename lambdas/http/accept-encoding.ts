/*
 * Whether a request's Accept-Encoding lets us answer gzip (RFC 9110 §12.5.3). Hand-written: the
 * grammar is one list of `coding;q=weight`, and no package we depend on exposes a parser.
 */

/** True when `header` gives gzip (or x-gzip, or `*` without naming gzip) a weight above 0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  const weights = new Map<string, number>();
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!name) continue;
    const q = params.find((p) => /^q\s*=/.test(p));
    const weight = q === undefined ? 1 : Number(q.slice(q.indexOf('=') + 1).trim());
    // An unreadable weight is not a consent.
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const named = weights.get('gzip') ?? weights.get('x-gzip');
  return (named ?? weights.get('*') ?? 0) > 0;
}
