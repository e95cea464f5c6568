/**
 * What `npm start` shows on the console. The functions log Powertools JSON (what CloudWatch gets
 * in AWS, and what LATCHKEY_LOG_FORMAT=json shows here); by default the console shows one short
 * line per request instead, and of the JSON only warnings and errors, one line each.
 */

export type LogFormat = 'brief' | 'json';

export function logFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === '' || value === 'brief') return 'brief';
  if (value === 'json') return 'json';
  throw new Error(`LATCHKEY_LOG_FORMAT must be "json" or "brief" (got "${value}")`);
}

export interface RequestInfo {
  method: string;
  /** The path only: query strings may hold tokens (connect_session_token, code, state) and are never printed. */
  path: string;
  status: number;
  latencyMs: number;
  function: string;
}

const PATH_LIMIT = 100;

/** `GET /connections/abc 200 12 ms api`: the path is the part before `?`, cut when very long. */
export function requestLine(r: RequestInfo): string {
  const path = r.path.split('?')[0];
  const shown = path.length > PATH_LIMIT ? `${path.slice(0, PATH_LIMIT - 1)}…` : path;
  return `${r.method} ${shown} ${r.status} ${r.latencyMs} ms ${r.function || '-'}`;
}

const SHOWN_LEVELS = new Set(['WARN', 'ERROR', 'CRITICAL']);

/**
 * One line of output in the brief format: unchanged unless it is a structured JSON log line;
 * a JSON warning or error becomes one short line, any other JSON line (info, debug, metrics) is
 * dropped (null).
 */
export function briefLine(line: string): string | null {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const level = typeof entry.level === 'string' ? entry.level.toUpperCase() : undefined;
  if (!level || !SHOWN_LEVELS.has(level)) return null;
  const fn = typeof entry.function_name === 'string' ? entry.function_name.replace(/^latchkey-[a-z0-9]+-/, '') : undefined;
  return `${level.toLowerCase()} ${fn ? `${fn}: ` : ''}${String(entry.message ?? '')}${errorSummary(entry)}`;
}

/** The error's name and the short reason fields our logs carry; never the whole entry (it may be long). */
function errorSummary(entry: Record<string, unknown>): string {
  const error = entry.error as { name?: unknown; message?: unknown } | string | undefined;
  const parts: string[] = [];
  if (typeof error === 'string') parts.push(error);
  else if (error && typeof error === 'object') parts.push([error.name, error.message].filter((p) => typeof p === 'string' && p).join(': '));
  for (const key of ['reason', 'status', 'incident']) if (typeof entry[key] === 'string' || typeof entry[key] === 'number') parts.push(`${key} ${entry[key]}`);
  const shown = parts.filter(Boolean);
  return shown.length ? ` (${shown.join(', ')})` : '';
}

type Write = typeof process.stdout.write;

/**
 * Routes everything written to stdout and stderr (the stack's own code and the functions'
 * instances, whose output the pool forwards there) through `briefLine`, a line at a time. A
 * filter on the streams rather than on each producer: the in-process start-up code (migrations,
 * keys) logs through the same Powertools logger as the functions.
 */
export function installBriefConsole(): () => void {
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as Write;
    let pending = '';
    stream.write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      const text = pending + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const lines = text.split('\n');
      pending = lines.pop() ?? '';
      const shown = lines.map(briefLine).filter((l): l is string => l !== null);
      if (shown.length) return original(`${shown.join('\n')}\n`, done as () => void);
      if (typeof done === 'function') done();
      return true;
    }) as Write;
    restore.push(() => {
      if (pending) original(pending);
      stream.write = original;
    });
  }
  return () => restore.forEach((r) => r());
}
