/**
 * What a ciphertext is bound to. The KMS encryption context carries `{environment, purpose}` (so
 * key policies can grant by purpose); the AES-GCM additional data carries the whole binding, so an
 * envelope copied to another row, column, table, purpose or environment does not decrypt.
 */

export const PURPOSES = ['connection-credentials', 'integration-secret', 'environment-secret', 'oauth-session', 'record-payload'] as const;
export type Purpose = (typeof PURPOSES)[number];

const PURPOSE_SET: ReadonlySet<string> = new Set(PURPOSES);

export interface CipherBinding {
  environmentId: string;
  purpose: Purpose;
  /** SQL table name, e.g. 'connections'. */
  table: string;
  /** The row's primary key as text. */
  rowId: string;
  /** SQL column name, e.g. 'credentials'. */
  field: string;
}

export function isPurpose(value: string): value is Purpose {
  return PURPOSE_SET.has(value);
}

/** The KMS encryption context of a data key. Ids only: KMS logs it in CloudTrail. */
export function kmsContext(environmentId: string, purpose: Purpose): Record<string, string> {
  return { environment: environmentId, purpose };
}

const LONE_SURROGATE = /\p{Cs}/u;
const MAX_PART_BYTES = 4096;

/**
 * Byte length of one binding part, refusing what would make the encoding ambiguous: empty values
 * and lone surrogates (UTF-8 turns every one of them into the same U+FFFD bytes).
 */
function partLength(name: string, value: unknown): number {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`Cipher binding ${name} must be a non-empty string`);
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_PART_BYTES) throw new TypeError(`Cipher binding ${name} is longer than ${MAX_PART_BYTES} bytes`);
  if (bytes !== value.length && LONE_SURROGATE.test(value)) throw new TypeError(`Cipher binding ${name} is not well-formed Unicode`);
  return bytes;
}

/**
 * The GCM additional data: format version, then the KMS key id and every binding part, each as a
 * 4-byte big-endian length and its bytes, the row id last. Length prefixes make it injective: no
 * two bindings (e.g. table 'ab' + field 'c' and table 'a' + field 'bc') share an encoding.
 */
export function encodeAad(version: number, keyId: Buffer, b: CipherBinding): Buffer {
  return appendRowId(encodeAadPrefix(version, keyId, b), b.rowId);
}

/** The AAD up to the row id: the same for every row of one column under one data key, so cacheable. */
export function encodeAadPrefix(version: number, keyId: Buffer, b: Omit<CipherBinding, 'rowId'>): Buffer {
  if (!isPurpose(b.purpose)) throw new TypeError('Cipher binding purpose is not a known purpose');
  const env = partLength('environmentId', b.environmentId);
  const purpose = b.purpose.length; // ASCII by construction
  const table = partLength('table', b.table);
  const field = partLength('field', b.field);
  const out = Buffer.allocUnsafe(1 + 5 * 4 + keyId.length + env + purpose + table + field);
  out[0] = version;
  out.writeUInt32BE(keyId.length, 1);
  let o = 5 + keyId.copy(out, 5);
  o = writePart(out, o, b.environmentId, env);
  o = writePart(out, o, b.purpose, purpose);
  o = writePart(out, o, b.table, table);
  writePart(out, o, b.field, field);
  return out;
}

export function appendRowId(prefix: Buffer, rowId: string): Buffer {
  const row = partLength('rowId', rowId);
  const out = Buffer.allocUnsafe(prefix.length + 4 + row);
  prefix.copy(out, 0);
  writePart(out, prefix.length, rowId, row);
  return out;
}

function writePart(out: Buffer, offset: number, value: string, bytes: number): number {
  out.writeUInt32BE(bytes, offset);
  out.write(value, offset + 4, bytes, 'utf8');
  return offset + 4 + bytes;
}
