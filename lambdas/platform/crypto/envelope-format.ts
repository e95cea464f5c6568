import { DecryptionError } from './decryption-error';

/**
 * Envelope bytes (stored as-is in bytea columns). The first byte is the format version, so a later
 * format can be added as a new case of `decodeEnvelope` while old rows keep decoding; 0 is never a
 * valid version. Format 1:
 *
 *   version = 1 (1) | key id length, uint16 BE (2) | KMS key ARN, UTF-8
 *   | wrapped key length, uint16 BE (2) | wrapped data key (KMS CiphertextBlob, opaque)
 *   | IV (12) | AES-256-GCM ciphertext (n ≥ 0) | tag (16)
 *
 * The header is authenticated: the key id goes into the GCM additional data, and the wrapped key
 * decides the data key itself.
 */

const FORMAT_V1 = 1;
export const CURRENT_FORMAT = FORMAT_V1;
export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;
/** KMS limits: key ARNs up to 2,048 characters, CiphertextBlob up to 6,144 bytes. */
const MAX_KEY_ID = 2048;
const MAX_WRAPPED_KEY = 6144;

export interface EnvelopeParts {
  version: number;
  /** UTF-8 bytes of the KMS key ARN. */
  keyId: Buffer;
  wrappedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** What can be read from an envelope without a key: enough to decide whether to upgrade it. */
export interface EnvelopeInfo {
  version: number;
  keyId: string;
  wrappedKey: Buffer;
}

/** The part before the IV, the same for every message under one data key. */
export function encodeHeader(keyId: Buffer, wrappedKey: Buffer): Buffer {
  if (keyId.length === 0 || keyId.length > MAX_KEY_ID) throw new RangeError('KMS key id length out of range');
  if (wrappedKey.length === 0 || wrappedKey.length > MAX_WRAPPED_KEY) throw new RangeError('Wrapped data key length out of range');
  const out = Buffer.allocUnsafe(1 + 2 + keyId.length + 2 + wrappedKey.length);
  out[0] = FORMAT_V1;
  out.writeUInt16BE(keyId.length, 1);
  keyId.copy(out, 3);
  out.writeUInt16BE(wrappedKey.length, 3 + keyId.length);
  wrappedKey.copy(out, 5 + keyId.length);
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Splits an envelope into views of its regions (no copies); DecryptionError when it cannot. */
export function decodeEnvelope(bytes: Uint8Array): EnvelopeParts {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new DecryptionError('malformed');
  const buf = asBuffer(bytes);
  switch (buf[0]) {
    case FORMAT_V1:
      return decodeV1(buf);
    default:
      throw new DecryptionError('unsupported-version');
  }
}

const malformed = () => new DecryptionError('malformed');

function decodeV1(buf: Buffer): EnvelopeParts {
  if (buf.length < 3) throw malformed();
  const keyIdLength = buf.readUInt16BE(1);
  const wrappedAt = 3 + keyIdLength;
  if (keyIdLength === 0 || keyIdLength > MAX_KEY_ID || buf.length < wrappedAt + 2) throw malformed();
  const wrappedLength = buf.readUInt16BE(wrappedAt);
  const ivAt = wrappedAt + 2 + wrappedLength;
  if (wrappedLength === 0 || wrappedLength > MAX_WRAPPED_KEY || buf.length < ivAt + IV_LENGTH + TAG_LENGTH) throw malformed();
  const tagAt = buf.length - TAG_LENGTH;
  return {
    version: FORMAT_V1,
    keyId: buf.subarray(3, wrappedAt),
    wrappedKey: buf.subarray(wrappedAt + 2, ivAt),
    iv: buf.subarray(ivAt, ivAt + IV_LENGTH),
    ciphertext: buf.subarray(ivAt + IV_LENGTH, tagAt),
    tag: buf.subarray(tagAt),
  };
}

export function inspectEnvelope(bytes: Uint8Array): EnvelopeInfo {
  const parts = decodeEnvelope(bytes);
  return { version: parts.version, keyId: parts.keyId.toString('utf8'), wrappedKey: parts.wrappedKey };
}
