import fc from 'fast-check';
import { encodeAad, isPurpose, kmsContext, PURPOSES, type CipherBinding } from '../../../../lambdas/platform/crypto/binding';

const KEY = Buffer.from('arn:aws:kms:us-east-1:000000000000:key/k');

const part = fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' });
const bindingArb = fc.record({
  environmentId: part,
  purpose: fc.constantFrom(...PURPOSES),
  table: part,
  rowId: part,
  field: part,
});

describe('cipher binding', () => {
  test('the KMS context holds only environment and purpose', () => {
    expect(kmsContext('e1', 'oauth-session')).toEqual({ environment: 'e1', purpose: 'oauth-session' });
  });

  test('purposes are a closed set', () => {
    expect(PURPOSES.every(isPurpose)).toBe(true);
    expect(isPurpose('connection-credentials ')).toBe(false);
    expect(isPurpose('secret-hash-pepper')).toBe(false);
  });

  test('the AAD is the version, then each part as a 4-byte length and its bytes', () => {
    const aad = encodeAad(1, Buffer.from('k'), { environmentId: 'e', purpose: 'oauth-session', table: 'tb', rowId: 'r', field: 'ﬀ' });
    expect(aad.toString('hex')).toBe(
      '01' +
        '00000001' + Buffer.from('k').toString('hex') +
        '00000001' + Buffer.from('e').toString('hex') +
        '0000000d' + Buffer.from('oauth-session').toString('hex') +
        '00000002' + Buffer.from('tb').toString('hex') +
        '00000003' + Buffer.from('ﬀ').toString('hex') +
        '00000001' + Buffer.from('r').toString('hex'),
    );
  });

  test('moving characters between parts changes the encoding (no concatenation ambiguity)', () => {
    const a = encodeAad(1, KEY, { environmentId: 'e', purpose: 'oauth-session', table: 'ab', rowId: 'r', field: 'c' });
    const b = encodeAad(1, KEY, { environmentId: 'e', purpose: 'oauth-session', table: 'a', rowId: 'r', field: 'bc' });
    expect(a.equals(b)).toBe(false);
  });

  test('property: distinct bindings never share an encoding', () => {
    fc.assert(
      fc.property(bindingArb, bindingArb, (x: CipherBinding, y: CipherBinding) => {
        const same = x.environmentId === y.environmentId && x.purpose === y.purpose && x.table === y.table && x.rowId === y.rowId && x.field === y.field;
        expect(encodeAad(1, KEY, x).equals(encodeAad(1, KEY, y))).toBe(same);
      }),
      { numRuns: 2_000 },
    );
  });

  test('the version and the key id are bound too', () => {
    const b: CipherBinding = { environmentId: 'e', purpose: 'oauth-session', table: 't', rowId: 'r', field: 'f' };
    expect(encodeAad(1, KEY, b).equals(encodeAad(2, KEY, b))).toBe(false);
    expect(encodeAad(1, KEY, b).equals(encodeAad(1, Buffer.from('arn:other'), b))).toBe(false);
  });

  test.each([
    ['an empty row id', { rowId: '' }, 'Cipher binding rowId must be a non-empty string'],
    ['an empty environment id', { environmentId: '' }, 'Cipher binding environmentId must be a non-empty string'],
    ['a non-string table', { table: 42 }, 'Cipher binding table must be a non-empty string'],
    ['an unknown purpose', { purpose: 'everything' }, 'Cipher binding purpose is not a known purpose'],
    ['a lone surrogate', { rowId: 'a\uD800' }, 'Cipher binding rowId is not well-formed Unicode'],
    ['an over-long field', { field: 'x'.repeat(4097) }, 'Cipher binding field is longer than 4096 bytes'],
  ])('refuses %s', (_name, override, message) => {
    const b = { environmentId: 'e', purpose: 'oauth-session', table: 't', rowId: 'r', field: 'f', ...override } as unknown as CipherBinding;
    expect(() => encodeAad(1, KEY, b)).toThrow(new TypeError(message));
  });

  test('a part of exactly 4096 bytes is accepted', () => {
    const b: CipherBinding = { environmentId: 'e', purpose: 'oauth-session', table: 't', rowId: 'r', field: 'é'.repeat(2048) };
    expect(encodeAad(1, KEY, b).includes(Buffer.from(b.field))).toBe(true);
  });

  test('accepts well-formed non-ASCII text, surrogate pairs included', () => {
    const b: CipherBinding = { environmentId: 'é', purpose: 'oauth-session', table: 't', rowId: '😀', field: 'f' };
    expect(encodeAad(1, KEY, b).includes(Buffer.from('😀'))).toBe(true);
  });
});
