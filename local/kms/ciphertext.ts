import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Our own CiphertextBlob format (AWS's is undocumented; callers must treat blobs as opaque):
 *
 *   magic 'LK' (2) | format 0x01 (1) | key id as uuid bytes (16) | backing-key version, uint32 BE (4)
 *   | IV (12) | AES-256-GCM ciphertext (n) | tag (16)
 *
 * The AAD is the 23-byte header followed by the canonical encryption context, so changing the key
 * id, the version or any context pair makes the tag check fail (InvalidCiphertextException).
 */

const MAGIC = Buffer.from('LK', 'latin1');
const FORMAT = 0x01;
const HEADER_LENGTH = 2 + 1 + 16 + 4;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
export const BLOB_OVERHEAD = HEADER_LENGTH + IV_LENGTH + TAG_LENGTH;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface BlobHeader {
  keyId: string;
  version: number;
}

/** Thrown for anything that is not a blob we made with this exact key material and context. */
export class InvalidBlobError extends Error {}

/**
 * Sorted pairs as JSON: order-insensitive, case-sensitive, and unambiguous because keys and values
 * are JSON-escaped. No context and `{}` serialize the same (both are "no pairs").
 */
export function canonicalContext(context: Record<string, string> | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), 'utf8');
}

function uuidToBytes(id: string): Buffer {
  if (!UUID.test(id)) throw new Error('Key ids must be lower-case UUIDs');
  return Buffer.from(id.replace(/-/g, ''), 'hex');
}

function bytesToUuid(bytes: Buffer): string {
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function header(keyId: string, version: number): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(out, 0);
  out[2] = FORMAT;
  uuidToBytes(keyId).copy(out, 3);
  out.writeUInt32BE(version, 19);
  return out;
}

/** Encrypts with a fresh random IV under `material` (32 bytes). */
export function sealBlob(
  plaintext: Buffer,
  keyId: string,
  version: number,
  material: Buffer,
  context: Record<string, string> | undefined,
): Buffer {
  const head = header(keyId, version);
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  cipher.setAAD(Buffer.concat([head, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, body, cipher.getAuthTag()]);
}

/** Reads which key and backing-key version a blob claims, without authenticating it yet. */
export function readBlobHeader(blob: Buffer): BlobHeader {
  // At least one byte of ciphertext: KMS never encrypts an empty plaintext.
  if (blob.length < BLOB_OVERHEAD + 1 || !blob.subarray(0, 2).equals(MAGIC) || blob[2] !== FORMAT) {
    throw new InvalidBlobError('not a ciphertext blob of this stand-in');
  }
  return { keyId: bytesToUuid(blob.subarray(3, 19)), version: blob.readUInt32BE(19) };
}

/** Authenticates and decrypts; any mismatch (bytes, key material, context) is InvalidBlobError. */
export function openBlob(blob: Buffer, material: Buffer, context: Record<string, string> | undefined): Buffer {
  readBlobHeader(blob);
  const head = blob.subarray(0, HEADER_LENGTH);
  const iv = blob.subarray(HEADER_LENGTH, HEADER_LENGTH + IV_LENGTH);
  const body = blob.subarray(HEADER_LENGTH + IV_LENGTH, blob.length - TAG_LENGTH);
  const tag = blob.subarray(blob.length - TAG_LENGTH);
  try {
    const decipher = createDecipheriv('aes-256-gcm', material, iv);
    decipher.setAAD(Buffer.concat([head, canonicalContext(context)]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new InvalidBlobError('authentication failed');
  }
}
