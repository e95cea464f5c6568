import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import type { EnvelopeCipher, EnvelopeCipherOptions } from '../../../../lambdas/platform/crypto/envelope-cipher';
import { decodeEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';
import { binding, cipherOn, decryptionFailure, editedKmsClient, KMS_ANSWER_EDITS, useKms } from './kms-fixture';

/** The cipher's rarer branches: a cache that loses keys as fast as it loads them, KMS answers missing parts, plaintext wiping. */

const kms = useKms();

const cipher = (options: Partial<EnvelopeCipherOptions> = {}) => cipherOn(kms, options);
const calls = () => kms.server.control.stats().calls;
const THRASHING = 'Data keys were evicted before they could be used; raise the data key cache capacity';

/** A clock that moves 10 ms each time it is read: with maxAgeMs 1 every key has expired by the next look. */
function racingClock() {
  let now = Date.UTC(2026, 0, 1);
  return () => new Date((now += 10));
}

/** Resolves to the plaintext buffers `c.decrypt` handed to its callers, after they are done with them. */
function plaintextsOf(c: EnvelopeCipher): () => Promise<Buffer[]> {
  const spy = jest.spyOn(c, 'decrypt');
  return () => Promise.all(spy.mock.results.map((r) => r.value as Promise<Buffer>));
}

describe('a cache that evicts keys as fast as it loads them', () => {
  test('encrypt gives up after three tries with a message that says what to change', async () => {
    const c = cipher({ cache: { maxAgeMs: 1, clock: racingClock() } });
    await expect(c.encrypt('x', binding())).rejects.toThrow(THRASHING);
    // Each try: the shared key, then one of its own; both gone before use.
    expect(calls()).toEqual({ GenerateDataKey: 6 });
  });

  test('reencrypt opens the envelope, then gives up the same way', async () => {
    const b = binding();
    const envelope = await cipher().encrypt('x', b);
    const c = cipher({ cache: { maxAgeMs: 1, clock: racingClock() } });
    await expect(c.reencrypt(envelope, b)).rejects.toThrow(THRASHING);
  });
});

describe('data key limits', () => {
  test('maxMessages 1: two concurrent encryptions and a third each get a data key of their own', async () => {
    const c = cipher({ cache: { maxMessages: 1 } });
    const b = binding();
    const envelopes = await Promise.all([c.encrypt('a', b), c.encrypt('b', b)]);
    envelopes.push(await c.encrypt('c', b));
    expect(new Set(envelopes.map((e) => decodeEnvelope(e).wrappedKey.toString('hex'))).size).toBe(3);
    expect(calls()).toEqual({ GenerateDataKey: 3 });
  });
});

describe('KMS answers missing a part', () => {
  test.each([
    ['no plaintext key', KMS_ANSWER_EDITS.noPlaintext],
    ['a 16-byte key', KMS_ANSWER_EDITS.shortPlaintext],
    ['no wrapped key', KMS_ANSWER_EDITS.noCiphertextBlob],
    ['no key id', KMS_ANSWER_EDITS.noKeyId],
  ])('GenerateDataKey with %s is refused, and its key bytes wiped', async (_name, edit) => {
    let given: Uint8Array | undefined;
    const c = cipher({
      kms: editedKmsClient(kms.url, GenerateDataKeyCommand, (out) => {
        edit(out);
        given = out.Plaintext as Uint8Array | undefined;
      }),
    });
    await expect(c.encrypt('x', binding())).rejects.toThrow(new Error('KMS GenerateDataKey returned an incomplete response'));
    if (given) expect(Buffer.from(given).equals(Buffer.alloc(given.length))).toBe(true);
  });

  test.each([
    ['no plaintext key', KMS_ANSWER_EDITS.noPlaintext],
    ['a 16-byte key', KMS_ANSWER_EDITS.shortPlaintext],
  ])('Decrypt with %s is a malformed envelope', async (_name, edit) => {
    const b = binding();
    const envelope = await cipher().encrypt('x', b);
    expect(await decryptionFailure(cipher({ kms: editedKmsClient(kms.url, DecryptCommand, edit) }).decrypt(envelope, b))).toBe('malformed');
  });
});

describe('plaintext is wiped once the caller is done with it', () => {
  test('decryptJson wipes the decrypted bytes after parsing them', async () => {
    const c = cipher();
    const b = binding();
    const envelope = await c.encryptJson({ token: 'secret-token' }, b);
    const plaintexts = plaintextsOf(c);
    expect(await c.decryptJson(envelope, b)).toEqual({ token: 'secret-token' });
    const [bytes] = await plaintexts();
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.equals(Buffer.alloc(bytes.length))).toBe(true);
  });

  test('reencrypt wipes the plaintext it carried between the keys', async () => {
    const c = cipher();
    const b = binding();
    const envelope = await c.encrypt('secret-token', b);
    c.retireDataKeys();
    const plaintexts = plaintextsOf(c);
    const moved = await c.reencrypt(envelope, b);
    const [bytes] = await plaintexts();
    expect(bytes.equals(Buffer.alloc('secret-token'.length))).toBe(true);
    expect(String(await c.decrypt(moved, b))).toBe('secret-token');
  });
});

describe('misuse', () => {
  test('encryptJson of a value JSON cannot hold is a TypeError that says so', async () => {
    const c = cipher();
    await expect(async () => c.encryptJson(undefined, binding())).rejects.toThrow(new TypeError('Value has no JSON representation'));
    await expect(async () => c.encryptJson(() => 1, binding())).rejects.toThrow(new TypeError('Value has no JSON representation'));
    expect(calls()).toEqual({});
  });

  test('trusted key ids must be ARNs, and the error says so', () => {
    expect(() => cipher({ trustedKeyIds: ['alias/other'] })).toThrow(new TypeError('trustedKeyIds must be KMS key ARNs'));
  });

  test('an unknown purpose is refused before KMS, with the reason', async () => {
    await expect(cipher().encrypt('x', binding({ purpose: 'everything' as never }))).rejects.toThrow(new TypeError('Cipher binding purpose is not a known purpose'));
    expect(calls()).toEqual({});
  });

  test('an envelope whose key id was edited does not open on a warm key (the key id is authenticated)', async () => {
    const c = cipher();
    const b = binding();
    const envelope = await c.encrypt('x', b);
    const { keyId } = decodeEnvelope(envelope);
    const edited = Buffer.from(envelope);
    const last = keyId.byteOffset - envelope.byteOffset + keyId.length - 1;
    edited[last] = edited[last] === 0x61 ? 0x62 : 0x61;
    expect(await decryptionFailure(c.decrypt(edited, b))).toBe('authentication-failed');
    expect(calls()).toEqual({ GenerateDataKey: 1 });
  });
});
