/**
 * EventBridge event-pattern matching, written from the AWS user guide's rules
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html):
 *
 * - A pattern is an object; every key must match (AND). `$or: [pattern, ...]` matches if any does.
 * - An array value lists matchers for a leaf field (OR). An object value matches nested fields.
 * - Matchers: literal string/number/boolean/null (exact, type-sensitive), `prefix`, `suffix`,
 *   `equals-ignore-case`, `anything-but` (values, prefix, suffix, equals-ignore-case), `exists`,
 *   `numeric` ranges and `wildcard`.
 * - If the event field is an array, the field matches when any element does.
 * - Only leaves (strings, numbers, booleans, null) match; objects never match a matcher list.
 *   A missing field matches only `exists: false`.
 *
 * Not implemented: `cidr` (rejected by validation so nobody relies on it silently).
 */

export type EventPattern = Record<string, unknown>;

/** Thrown by validateEventPattern; the message follows AWS's InvalidEventPatternException wording. */
export class EventPatternError extends Error {
  constructor(reason: string) {
    super(`Event pattern is not valid. Reason: ${reason}`);
    this.name = 'InvalidEventPatternException';
  }
}

type Leaf = string | number | boolean | null;
const NUMERIC_OPS = ['=', '<', '<=', '>', '>='] as const;
type NumericOp = (typeof NUMERIC_OPS)[number];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

// ---- validation -------------------------------------------------------------------------------

/** Throws EventPatternError for anything EventBridge would refuse (or that we cannot match faithfully). */
export function validateEventPattern(pattern: unknown): asserts pattern is EventPattern {
  if (!isObject(pattern)) throw new EventPatternError('Pattern must be a JSON object');
  if (Object.keys(pattern).length === 0) throw new EventPatternError('Empty pattern: it would match every event');
  validateObject(pattern, '');
}

function validateObject(pattern: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const path = where ? `${where}.${key}` : key;
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2 || !value.every((p) => isObject(p) && Object.keys(p).length > 0)) {
        throw new EventPatternError(`"$or" at ${where || 'the top level'} must be an array of at least two non-empty patterns`);
      }
      for (const alternative of value) validateObject(alternative as Record<string, unknown>, where);
    } else if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(`Empty arrays are not allowed (at ${path})`);
      for (const matcher of value) validateMatcher(matcher, path);
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) throw new EventPatternError(`Empty objects are not allowed (at ${path})`);
      validateObject(value, path);
    } else {
      throw new EventPatternError(`${JSON.stringify(value)} must be an object or an array (at ${path})`);
    }
  }
}

function validateMatcher(matcher: unknown, path: string): void {
  if (isLeaf(matcher)) return;
  if (!isObject(matcher) || Object.keys(matcher).length !== 1) {
    throw new EventPatternError(`Each matcher must be a value or an object with exactly one operator (at ${path})`);
  }
  const [op, operand] = Object.entries(matcher)[0];
  const bad = (what: string) => new EventPatternError(`${op} ${what} (at ${path})`);
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof operand === 'string' || isIgnoreCase(operand)) return;
      throw bad('must be a string or {"equals-ignore-case": string}');
    case 'equals-ignore-case':
      if (typeof operand === 'string') return;
      throw bad('must be a string');
    case 'wildcard':
      if (typeof operand === 'string') return;
      throw bad('must be a string');
    case 'exists':
      if (typeof operand === 'boolean') return;
      throw bad('must be true or false');
    case 'numeric':
      parseNumeric(operand, path);
      return;
    case 'anything-but':
      if (typeof operand === 'string' || typeof operand === 'number') return;
      if (Array.isArray(operand) && operand.length > 0 && operand.every((v) => typeof v === 'string' || typeof v === 'number')) return;
      if (isObject(operand) && Object.keys(operand).length === 1) {
        const [inner, value] = Object.entries(operand)[0];
        if ((inner === 'prefix' || inner === 'suffix' || inner === 'wildcard') && typeof value === 'string') return;
        if (inner === 'equals-ignore-case' && (typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')))) return;
      }
      throw bad('must be a value, a list of values, or one of prefix/suffix/equals-ignore-case/wildcard');
    default:
      throw new EventPatternError(`Unsupported operator ${JSON.stringify(op)} (at ${path})`);
  }
}

function isIgnoreCase(operand: unknown): operand is { 'equals-ignore-case': string } {
  return isObject(operand) && Object.keys(operand).length === 1 && typeof operand['equals-ignore-case'] === 'string';
}

/** `[">", 0, "<=", 5]` or `["=", 3]`: at most one lower and one upper bound. */
function parseNumeric(operand: unknown, path: string): Array<[NumericOp, number]> {
  const bad = () => new EventPatternError(`numeric must be ["=", n] or up to one lower and one upper bound (at ${path})`);
  if (!Array.isArray(operand) || operand.length === 0 || operand.length % 2 !== 0 || operand.length > 4) throw bad();
  const pairs: Array<[NumericOp, number]> = [];
  for (let i = 0; i < operand.length; i += 2) {
    const [op, n] = [operand[i], operand[i + 1]];
    if (!NUMERIC_OPS.includes(op as NumericOp) || typeof n !== 'number' || !Number.isFinite(n)) throw bad();
    pairs.push([op as NumericOp, n]);
  }
  const lower = pairs.filter(([op]) => op === '>' || op === '>=').length;
  const upper = pairs.filter(([op]) => op === '<' || op === '<=').length;
  const equal = pairs.filter(([op]) => op === '=').length;
  if (lower > 1 || upper > 1 || (equal > 0 && pairs.length > 1)) throw bad();
  return pairs;
}

// ---- matching ---------------------------------------------------------------------------------

/** True if `event` (the full event, as targets receive it) matches a validated `pattern`. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  // An array of objects matches a nested pattern if one element matches all of it.
  if (Array.isArray(value)) return value.some((element) => isObject(element) && matchObject(pattern, element));
  for (const [key, sub] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!(sub as Array<Record<string, unknown>>).some((alternative) => matchObject(alternative, value))) return false;
      continue;
    }
    const field = isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
    const ok = Array.isArray(sub) ? matchLeaf(sub, field) : matchObject(sub as Record<string, unknown>, field);
    if (!ok) return false;
  }
  return true;
}

function matchLeaf(matchers: unknown[], field: unknown): boolean {
  const values = (Array.isArray(field) ? field : field === undefined ? [] : [field]).filter(isLeaf);
  return matchers.some((m) => matchOne(m, values));
}

function matchOne(matcher: unknown, values: Leaf[]): boolean {
  if (isLeaf(matcher)) return values.some((v) => v === matcher);
  const [op, operand] = Object.entries(matcher as Record<string, unknown>)[0];
  switch (op) {
    case 'exists':
      return operand === values.length > 0;
    case 'prefix':
      return strings(values).some((s) => affix(s, operand, (a, b) => a.startsWith(b)));
    case 'suffix':
      return strings(values).some((s) => affix(s, operand, (a, b) => a.endsWith(b)));
    case 'equals-ignore-case':
      return strings(values).some((s) => sameIgnoringCase(s, operand as string));
    case 'wildcard':
      return strings(values).some((s) => wildcard(operand as string).test(s));
    case 'numeric': {
      const bounds = parseNumeric(operand, '');
      return values.some((v) => typeof v === 'number' && bounds.every(([o, n]) => compare(v, o, n)));
    }
    case 'anything-but':
      return values.some((v) => !anythingButExcludes(operand, v));
    default:
      return false;
  }
}

const strings = (values: Leaf[]) => values.filter((v): v is string => typeof v === 'string');

function affix(s: string, operand: unknown, test: (a: string, b: string) => boolean): boolean {
  if (typeof operand === 'string') return test(s, operand);
  const needle = (operand as { 'equals-ignore-case': string })['equals-ignore-case'];
  return test(s.toLowerCase(), needle.toLowerCase());
}

function sameIgnoringCase(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function wildcard(pattern: string): RegExp {
  const body = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, 's');
}

function compare(v: number, op: NumericOp, n: number): boolean {
  switch (op) {
    case '=':
      return v === n;
    case '<':
      return v < n;
    case '<=':
      return v <= n;
    case '>':
      return v > n;
    case '>=':
      return v >= n;
  }
}

/** True if `anything-but: operand` rules out the value `v`. */
function anythingButExcludes(operand: unknown, v: Leaf): boolean {
  if (typeof operand === 'string' || typeof operand === 'number') return v === operand;
  if (Array.isArray(operand)) return operand.includes(v);
  const [inner, value] = Object.entries(operand as Record<string, unknown>)[0];
  if (typeof v !== 'string') return false;
  switch (inner) {
    case 'prefix':
      return v.startsWith(value as string);
    case 'suffix':
      return v.endsWith(value as string);
    case 'wildcard':
      return wildcard(value as string).test(v);
    case 'equals-ignore-case':
      return (Array.isArray(value) ? (value as string[]) : [value as string]).some((x) => sameIgnoringCase(v, x));
    default:
      return false;
  }
}
