import { randomBytes } from 'node:crypto';
import { DecryptionError } from '../../../../lambdas/platform/crypto/decryption-error';
import { CURRENT_FORMAT, decodeEnvelope, encodeHeader, inspectEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';

const KEY_ID = Buffer.from('arn:aws:kms:us-east-1:000000000000:key/0f0f0f0f-1111-4222-8333-444455556666');
const WRAPPED = randomBytes(83);

function envelope(ciphertext = Buffer.from('ciphertext')): { bytes: Buffer; iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const iv = randomBytes(12);
  const tag = randomBytes(16);
  return { bytes: Buffer.concat([encodeHeader(KEY_ID, WRAPPED), iv, ciphertext, tag]), iv, tag, ciphertext };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof DecryptionError) return err.reason;
    throw err;
  }
  return 'decoded';
}

describe('envelope format', () => {
  test('format 1 layout: version, uint16-prefixed key id and wrapped key, IV, ciphertext, tag', () => {
    const { bytes, iv, tag, ciphertext } = envelope();
    expect(CURRENT_FORMAT).toBe(1);
    expect(bytes[0]).toBe(1);
    expect(bytes.readUInt16BE(1)).toBe(KEY_ID.length);
    expect(bytes.readUInt16BE(3 + KEY_ID.length)).toBe(WRAPPED.length);
    expect(bytes.length).toBe(1 + 2 + KEY_ID.length + 2 + WRAPPED.length + 12 + ciphertext.length + 16);
    const parts = decodeEnvelope(bytes);
    expect(parts.version).toBe(1);
    expect(parts.keyId.equals(KEY_ID)).toBe(true);
    expect(parts.wrappedKey.equals(WRAPPED)).toBe(true);
    expect(parts.iv.equals(iv)).toBe(true);
    expect(parts.ciphertext.equals(ciphertext)).toBe(true);
    expect(parts.tag.equals(tag)).toBe(true);
  });

  test('an empty ciphertext is a valid envelope', () => {
    expect(decodeEnvelope(envelope(Buffer.alloc(0)).bytes).ciphertext.length).toBe(0);
  });

  test('decodes a plain Uint8Array view without copying its region boundaries wrong', () => {
    const { bytes } = envelope();
    const backing = new Uint8Array(bytes.length + 10);
    backing.set(bytes, 5);
    const view = new Uint8Array(backing.buffer, 5, bytes.length);
    expect(decodeEnvelope(view).keyId.equals(KEY_ID)).toBe(true);
  });

  test('inspect reads version and key id without a key', () => {
    expect(inspectEnvelope(envelope().bytes)).toEqual({ version: 1, keyId: KEY_ID.toString(), wrappedKey: WRAPPED });
  });

  test.each([0, 2, 0x7f, 0xff])('version byte %i is unsupported', (version) => {
    const { bytes } = envelope();
    bytes[0] = version;
    expect(reason(() => decodeEnvelope(bytes))).toBe('unsupported-version');
  });

  test('every truncation that cuts into the header, IV or minimum tag is malformed', () => {
    const { bytes } = envelope(Buffer.alloc(0));
    for (let length = 0; length < bytes.length; length += 1) {
      expect([length, reason(() => decodeEnvelope(bytes.subarray(0, length)))]).toEqual([length, 'malformed']);
    }
  });

  test('length fields that point past the end, or are zero, are malformed', () => {
    const { bytes } = envelope();
    const cases = [
      (b: Buffer) => b.writeUInt16BE(0, 1),
      (b: Buffer) => b.writeUInt16BE(0xffff, 1),
      (b: Buffer) => b.writeUInt16BE(0, 3 + KEY_ID.length),
      (b: Buffer) => b.writeUInt16BE(0xffff, 3 + KEY_ID.length),
      (b: Buffer) => b.writeUInt16BE(6145, 3 + KEY_ID.length),
    ];
    for (const edit of cases) {
      const copy = Buffer.from(bytes);
      edit(copy);
      expect(reason(() => decodeEnvelope(copy))).toBe('malformed');
    }
  });

  test('not bytes at all is malformed', () => {
    expect(reason(() => decodeEnvelope('abc' as unknown as Uint8Array))).toBe('malformed');
  });

  test('the header refuses empty or oversize key ids and wrapped keys, and takes the largest KMS makes', () => {
    const keyIdRange = new RangeError('KMS key id length out of range');
    const wrappedRange = new RangeError('Wrapped data key length out of range');
    expect(() => encodeHeader(Buffer.alloc(0), WRAPPED)).toThrow(keyIdRange);
    expect(() => encodeHeader(Buffer.alloc(2049, 0x61), WRAPPED)).toThrow(keyIdRange);
    expect(() => encodeHeader(KEY_ID, Buffer.alloc(0))).toThrow(wrappedRange);
    expect(() => encodeHeader(KEY_ID, Buffer.alloc(6145))).toThrow(wrappedRange);
    const largest = Buffer.concat([encodeHeader(Buffer.alloc(2048, 0x61), Buffer.alloc(6144, 7)), randomBytes(28)]);
    expect(decodeEnvelope(largest)).toMatchObject({ keyId: Buffer.alloc(2048, 0x61), wrappedKey: Buffer.alloc(6144, 7) });
  });

  test('a key id or wrapped key one byte over the KMS limits is malformed, however much follows', () => {
    const withLengths = (keyIdLength: number, wrappedLength: number) => {
      const b = Buffer.alloc(1 + 2 + keyIdLength + 2 + wrappedLength + 28, 0x61);
      b[0] = CURRENT_FORMAT;
      b.writeUInt16BE(keyIdLength, 1);
      b.writeUInt16BE(wrappedLength, 3 + keyIdLength);
      return b;
    };
    expect(reason(() => decodeEnvelope(withLengths(2048, 6144)))).toBe('decoded');
    expect(reason(() => decodeEnvelope(withLengths(2049, 10)))).toBe('malformed');
    expect(reason(() => decodeEnvelope(withLengths(10, 6145)))).toBe('malformed');
    // A zero key id length followed by a well-formed rest is not read as an empty key id.
    expect(reason(() => decodeEnvelope(withLengths(0, 10)))).toBe('malformed');
    expect(reason(() => decodeEnvelope(withLengths(10, 0)))).toBe('malformed');
  });
});
