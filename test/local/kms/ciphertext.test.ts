import { randomBytes, randomUUID } from 'node:crypto';
import { BLOB_OVERHEAD, canonicalContext, InvalidBlobError, openBlob, readBlobHeader, sealBlob } from '../../../local/kms/ciphertext';

// Unit tests of our blob format; the SDK-level behaviour is in kms-crypto.test.ts.

const keyId = randomUUID();
const material = randomBytes(32);

test('seal/open round-trips and the header names key and version', () => {
  const blob = sealBlob(Buffer.from('hello'), keyId, 7, material, { a: '1' });
  expect(blob).toHaveLength(BLOB_OVERHEAD + 5);
  expect(readBlobHeader(blob)).toEqual({ keyId, version: 7 });
  expect(openBlob(blob, material, { a: '1' }).toString()).toBe('hello');
});

test('the canonical context ignores order, keeps case, and equates none with {}', () => {
  expect(canonicalContext({ b: '2', a: '1' }).equals(canonicalContext({ a: '1', b: '2' }))).toBe(true);
  expect(canonicalContext({ a: 'x' }).equals(canonicalContext({ A: 'x' }))).toBe(false);
  expect(canonicalContext(undefined).equals(canonicalContext({}))).toBe(true);
  // Escaping keeps pairs apart: {"a":"b,c"} is not {"a":"b","c":...}.
  expect(canonicalContext({ a: '","c' }).equals(canonicalContext({ a: '', c: '' }))).toBe(false);
});

test('wrong material, a changed context or a changed header fail authentication', () => {
  const blob = sealBlob(Buffer.from('hello'), keyId, 0, material, { a: '1' });
  expect(() => openBlob(blob, randomBytes(32), { a: '1' })).toThrow(InvalidBlobError);
  expect(() => openBlob(blob, material, { a: '2' })).toThrow(InvalidBlobError);
  const otherVersion = Buffer.from(blob);
  otherVersion.writeUInt32BE(1, 19);
  expect(() => openBlob(otherVersion, material, { a: '1' })).toThrow(InvalidBlobError);
});

test('a random IV makes equal inputs encrypt differently', () => {
  const a = sealBlob(Buffer.from('same'), keyId, 0, material, undefined);
  const b = sealBlob(Buffer.from('same'), keyId, 0, material, undefined);
  expect(a.equals(b)).toBe(false);
});

test('short or foreign blobs are rejected before decryption', () => {
  expect(() => readBlobHeader(Buffer.alloc(BLOB_OVERHEAD))).toThrow(InvalidBlobError);
  expect(() => readBlobHeader(Buffer.alloc(100))).toThrow(InvalidBlobError);
});
