/**
 * The part of EventBridge event-pattern matching the stack's rules use (lib/topology.ts), from the
 * AWS user guide's rules for exact values:
 *
 * - A pattern is an object; every key must match (AND). An object value matches nested fields.
 * - An array value lists the exact values a leaf field may have (OR): strings, numbers, booleans,
 *   null, type-sensitive. If the event field is an array, it matches when any element does; an
 *   array of objects matches a nested pattern when one element matches all of it.
 * - Only leaves match; a missing field matches nothing.
 *
 * Content filters (prefix, numeric, anything-but, exists, …) and `$or` are refused by validation,
 * so nobody relies on them silently.
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Throws EventPatternError for anything EventBridge would refuse, or that this stand-in does not match. */
export function validateEventPattern(pattern: unknown): asserts pattern is EventPattern {
  if (!isObject(pattern)) throw new EventPatternError('Pattern must be a JSON object');
  if (Object.keys(pattern).length === 0) throw new EventPatternError('Empty pattern: it would match every event');
  validateObject(pattern, '');
}

function validateObject(pattern: Record<string, unknown>, where: string): void {
  for (const [key, value] of Object.entries(pattern)) {
    const path = where ? `${where}.${key}` : key;
    if (key === '$or') throw new EventPatternError(`"$or" is not supported by the local stand-in (at ${where || 'the top level'})`);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new EventPatternError(`Empty arrays are not allowed (at ${path})`);
      const filter = value.find((matcher) => !isLeaf(matcher));
      if (filter !== undefined) throw new EventPatternError(`Content filters such as ${JSON.stringify(filter)} are not supported by the local stand-in (at ${path})`);
    } else if (isObject(value)) {
      if (Object.keys(value).length === 0) throw new EventPatternError(`Empty objects are not allowed (at ${path})`);
      validateObject(value, path);
    } else {
      throw new EventPatternError(`${JSON.stringify(value)} must be an object or an array (at ${path})`);
    }
  }
}

/** True if `event` (the full event, as targets receive it) matches a validated `pattern`. */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  if (Array.isArray(value)) return value.some((element) => isObject(element) && matchObject(pattern, element));
  return Object.entries(pattern).every(([key, sub]) => {
    const field = isObject(value) && Object.hasOwn(value, key) ? value[key] : undefined;
    if (!Array.isArray(sub)) return matchObject(sub as Record<string, unknown>, field);
    const values = (Array.isArray(field) ? field : field === undefined ? [] : [field]).filter(isLeaf);
    return sub.some((expected) => values.includes(expected as Leaf));
  });
}
