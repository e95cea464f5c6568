/**
 * JSON with object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does) at every
 * depth, otherwise exactly as `JSON.stringify`. Webhook bodies are serialised once with it and
 * those bytes are both signed and sent: jsonb does not keep key order, so the stored payload
 * must be re-serialised deterministically (Nango signs the same stable-sorted form).
 */
export function stableStringify(value: unknown): string {
  const out = serialize(value, new Set());
  if (out === undefined) throw new TypeError('Value has no JSON representation');
  return out;
}

function serialize(value: unknown, seen: Set<object>): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return serialize((value as { toJSON(): unknown }).toJSON(), seen);
  }
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'bigint':
      throw new TypeError('BigInt has no JSON representation');
    case 'object':
      break;
    default:
      // undefined, functions, symbols: omitted in objects, null in arrays (as JSON.stringify).
      return undefined;
  }
  const obj = value as object;
  if (seen.has(obj)) throw new TypeError('Circular structure');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) return `[${obj.map((item) => serialize(item, seen) ?? 'null').join(',')}]`;
    const parts: string[] = [];
    for (const key of Object.keys(obj).sort()) {
      const item = serialize((obj as Record<string, unknown>)[key], seen);
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
