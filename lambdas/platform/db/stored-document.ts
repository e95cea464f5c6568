import * as z from 'zod';

/*
 * Size limits of the JSON documents we store (README "Size limits of stored documents"). The Data
 * API returns at most 64 KB per row and 1 MiB per response; a document is measured as PostgreSQL
 * renders it (jsonb text: `": "` and `", "` separators, numbers written out in full), since that is
 * what a read returns, so a row holding every document at its cap still reads.
 */

/** Bytes of each stored document, at most (jsonb text). */
export const STORED_DOCUMENT_LIMITS = {
  /** connections.metadata, after a merge too. */
  connectionMetadata: 8 * 1024,
  /** connections.connection_config. */
  connectionConfig: 4 * 1024,
  /** Stored connection credentials (before encryption). */
  connectionCredentials: 16 * 1024,
  /** A connect session's integrations_config_defaults. */
  sessionConfigDefaults: 16 * 1024,
  /** An integration's credentials (client secret, private key, …), as given. */
  integrationCredentials: 8 * 1024,
  /** An integration's integration_config and custom, each. */
  integrationSettings: 8 * 1024,
  /** A custom provider's definition. */
  providerDefinition: 8 * 1024,
} as const;

/** Bytes of `value` as PostgreSQL's jsonb output writes it; undefined members are left out, as JSON.stringify does. */
export function jsonbTextBytes(value: unknown): number {
  if (value === null || value === undefined) return 4;
  switch (typeof value) {
    case 'boolean':
      return value ? 4 : 5;
    case 'number':
      return numericTextBytes(value);
    case 'string':
      return Buffer.byteLength(JSON.stringify(value));
    case 'object': {
      if (Array.isArray(value)) {
        return 2 + value.reduce((sum: number, item) => sum + jsonbTextBytes(item), 0) + Math.max(0, value.length - 1) * 2;
      }
      const entries = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function');
      return 2 + entries.reduce((sum, [k, v]) => sum + Buffer.byteLength(JSON.stringify(k)) + 2 + jsonbTextBytes(v), 0) + Math.max(0, entries.length - 1) * 2;
    }
    default:
      return 4;
  }
}

/** PostgreSQL numeric output never uses an exponent: `1e+300` is written with 300 zeros. */
function numericTextBytes(n: number): number {
  if (!Number.isFinite(n)) return 4; // JSON.stringify writes null
  const text = JSON.stringify(n);
  const sign = text.startsWith('-') ? 1 : 0;
  const [mantissa, exp = '0'] = text.slice(sign).split('e');
  const [int, frac = ''] = mantissa.split('.');
  const digits = int + frac;
  const point = int.length + Number(exp);
  if (point >= digits.length) return sign + point;
  if (point <= 0) return sign + 2 - point + digits.length;
  return sign + digits.length + 1;
}

/**
 * `schema`, refusing values whose stored form exceeds `maxBytes` (a 400 in Nango's envelope,
 * like any other validation failure). Use it wherever a route writes a JSON document.
 */
export function capped<T extends z.ZodType>(schema: T, maxBytes: number) {
  return schema.superRefine((value, ctx) => {
    const bytes = jsonbTextBytes(value);
    if (bytes > maxBytes) ctx.addIssue({ code: 'custom', message: `Too large: ${bytes} bytes as stored; the limit is ${maxBytes} bytes` });
  });
}
