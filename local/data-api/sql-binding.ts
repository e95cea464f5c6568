import { skipNonToken, UnterminatedSqlError } from '../../lambdas/platform/db/sql-script';
import { badRequest, databaseError } from './errors';

/*
 * Named parameters (`:name`) → PostgreSQL placeholders (`$n`), with the casts that make the
 * stand-in as strict as the real service: an untyped stringValue reaches PostgreSQL as
 * `character varying` (so `uuid_col = :id` fails with 42883 exactly as on AWS), and typeHints
 * become explicit casts.
 */

export type TypeHint = 'JSON' | 'UUID' | 'TIMESTAMP' | 'DATE' | 'TIME' | 'DECIMAL';

export interface SqlParameterInput {
  name?: string;
  value?: unknown;
  typeHint?: TypeHint;
}

/** One parameter ready for node-postgres: its text (or bytes) and the cast put after its placeholder. */
export interface BoundValue {
  value: string | Buffer | null;
  cast: string | null;
}

export interface BoundStatement {
  text: string;
  values: (string | Buffer | null)[];
  /** 1-based position in `text` → 1-based position in the caller's SQL (for error messages). */
  mapPosition(pos: number): number;
}

export interface ParamRef {
  name: string;
  /** Index of the `:`. */
  start: number;
  /** Index after the name. */
  end: number;
}

export interface ScanResult {
  params: ParamRef[];
  /** A `;` outside literals, identifiers and comments (the service allows one statement, no trailing `;`). */
  hasSemicolon: boolean;
}

const PARAM_START = /[A-Za-z_]/;
const PARAM_CHAR = /[A-Za-z0-9_]/;

/** Finds `:name` references and statement separators, skipping everything PostgreSQL would not parse as SQL tokens. */
export function scanSql(sql: string): ScanResult {
  const params: ParamRef[] = [];
  let hasSemicolon = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    const next = sql[i + 1];
    const skipped = skipToEnd(sql, i);
    if (skipped !== undefined) {
      i = skipped;
    } else if (c === ':' && next === ':') {
      i += 2; // a cast, never a parameter
    } else if (c === ':' && next !== undefined && PARAM_START.test(next)) {
      let end = i + 2;
      while (end < sql.length && PARAM_CHAR.test(sql[end])) end += 1;
      params.push({ name: sql.slice(i + 1, end), start: i, end });
      i = end;
    } else {
      if (c === ';') hasSemicolon = true;
      i += 1;
    }
  }
  return { params, hasSemicolon };
}

/** An unterminated literal or comment runs to the end: PostgreSQL then reports the syntax error itself. */
function skipToEnd(sql: string, at: number): number | undefined {
  try {
    return skipNonToken(sql, at);
  } catch (err) {
    if (err instanceof UnterminatedSqlError) return sql.length;
    throw err;
  }
}

// Formats the service documents for typeHint values (java.sql.Timestamp/Date/Time.valueOf accept
// one-digit month/day and up to nine fractional digits, nothing else: no `T`, no zone).
const TIMESTAMP_FORMAT = /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{2}:\d{2}(\.\d{1,9})?$/;
const DATE_FORMAT = /^\d{4}-\d{1,2}-\d{1,2}$/;
const TIME_FORMAT = /^\d{1,2}:\d{2}:\d{2}(\.\d{1,9})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function hintCast(hint: TypeHint | undefined, value: string): string {
  switch (hint) {
    case undefined:
      return 'varchar';
    case 'UUID':
      return 'uuid';
    // jsonb: assignable to both json and jsonb columns (pg_cast has jsonb→json as an assignment cast).
    case 'JSON':
      return 'jsonb';
    case 'DECIMAL':
      return 'numeric';
    case 'TIMESTAMP':
      if (!TIMESTAMP_FORMAT.test(value)) throw databaseError('Timestamp format must be yyyy-mm-dd hh:mm:ss[.fffffffff]');
      return 'timestamp';
    case 'DATE':
      if (!DATE_FORMAT.test(value)) throw databaseError('Date format must be yyyy-mm-dd');
      return 'date';
    case 'TIME':
      if (!TIME_FORMAT.test(value)) throw databaseError('Time format must be hh:mm:ss[.fffffffff]');
      return 'time';
  }
}

/** Validates one `Field` union (exactly one member) and turns it into a bound value. */
export function toBoundValue(param: SqlParameterInput): BoundValue {
  const label = `'${param.name ?? ''}'`;
  const field = param.value;
  if (field === null || typeof field !== 'object' || Array.isArray(field)) {
    throw badRequest(`Parameter ${label} has no value`);
  }
  const members = Object.entries(field as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
  if (members.length !== 1) {
    throw badRequest(`Parameter ${label}: exactly one member of the value union must be set, found ${members.length}`);
  }
  const [member, v] = members[0];
  const wrongType = (): never => {
    throw badRequest(`Parameter ${label}: invalid ${member}`);
  };
  switch (member) {
    case 'isNull':
      if (v !== true) wrongType();
      return { value: null, cast: null }; // untyped NULL: PostgreSQL infers the type
    case 'booleanValue':
      if (typeof v !== 'boolean') wrongType();
      return { value: v ? 'true' : 'false', cast: 'bool' };
    case 'longValue':
      if (typeof v !== 'number' || !Number.isInteger(v)) wrongType();
      // BigInt keeps every digit of the double; out-of-range values fail in PostgreSQL (22003) as on AWS.
      return { value: BigInt(v as number).toString(), cast: 'int8' };
    case 'doubleValue':
      if (typeof v !== 'number' || !Number.isFinite(v)) wrongType();
      return { value: String(v), cast: 'float8' };
    case 'stringValue':
      if (typeof v !== 'string') wrongType();
      return { value: v as string, cast: hintCast(param.typeHint, v as string) };
    case 'blobValue':
      if (typeof v !== 'string' || !BASE64.test(v)) wrongType();
      return { value: Buffer.from(v as string, 'base64'), cast: 'bytea' };
    case 'arrayValue':
      throw badRequest('Array parameters are not supported.');
    default:
      throw badRequest(`Parameter ${label}: unknown value member ${member}`);
  }
}

/** Validates every supplied parameter (even unused ones) and indexes them by name. */
export function prepareParameters(params: readonly SqlParameterInput[] = []): Map<string, BoundValue> {
  const byName = new Map<string, BoundValue>();
  for (const param of params) {
    if (!param.name) throw badRequest('Every parameter needs a name');
    if (byName.has(param.name)) throw badRequest(`Parameter '${param.name}' is given more than once`);
    byName.set(param.name, toBoundValue(param));
  }
  return byName;
}

interface Replacement {
  inStart: number;
  inEnd: number;
  outStart: number;
  outEnd: number;
}

/**
 * Rewrites `sql` for node-postgres. Every reference gets its own placeholder (as JDBC `?` would), so
 * an untyped NULL used twice may take a different type at each place. Throws the service's errors
 * for multi-statements and missing values.
 */
export function bindStatement(sql: string, params: Map<string, BoundValue>): BoundStatement {
  const scan = scanSql(sql);
  if (scan.hasSemicolon) throw databaseError("Multi-statements aren't supported.");
  const values: (string | Buffer | null)[] = [];
  const replacements: Replacement[] = [];
  let text = '';
  let last = 0;
  for (const ref of scan.params) {
    const bound = params.get(ref.name);
    if (!bound) throw databaseError(`No value specified for parameter ${values.length + 1} (:${ref.name}).`);
    values.push(bound.value);
    text += sql.slice(last, ref.start);
    const placeholder = bound.cast ? `$${values.length}::${bound.cast}` : `$${values.length}`;
    replacements.push({ inStart: ref.start, inEnd: ref.end, outStart: text.length, outEnd: text.length + placeholder.length });
    text += placeholder;
    last = ref.end;
  }
  text += sql.slice(last);
  return { text, values, mapPosition: (pos) => mapPosition(replacements, pos) };
}

function mapPosition(replacements: readonly Replacement[], pos: number): number {
  const out = pos - 1;
  let shift = 0;
  for (const r of replacements) {
    if (out < r.outStart) break;
    if (out < r.outEnd) return r.inStart + 1; // inside a placeholder: point at its `:name`
    shift = r.inEnd - r.outEnd;
  }
  return out + shift + 1;
}
