import { DisableKeyCommand, EnableKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import type { CipherBinding } from '../../../../lambdas/platform/crypto/binding';
import { DecryptionError, type DecryptionFailure } from '../../../../lambdas/platform/crypto/decryption-error';
import { EnvelopeCipher, type EnvelopeCipherOptions } from '../../../../lambdas/platform/crypto/envelope-cipher';
import { decodeEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';
import { ALIAS, binding, cipherOn, decryptionFailure, kmsClient, useKms } from './kms-fixture';

/** Every decrypt failure, tampering and misuse alike, must be a DecryptionError with one of these reasons. */

const kms = useKms({ aliases: [ALIAS, 'alias/other'] });

const cipher = (options: Partial<EnvelopeCipherOptions> = {}) => cipherOn(kms, options);


/** The byte ranges of each envelope region. */
function regions(envelope: Buffer) {
  const p = decodeEnvelope(envelope);
  const at = (part: Buffer) => part.byteOffset - envelope.byteOffset;
  return {
    version: [0, 1],
    keyIdLength: [1, 3],
    keyId: [at(p.keyId), at(p.keyId) + p.keyId.length],
    wrappedKeyLength: [at(p.wrappedKey) - 2, at(p.wrappedKey)],
    wrappedKey: [at(p.wrappedKey), at(p.wrappedKey) + p.wrappedKey.length],
    iv: [at(p.iv), at(p.iv) + 12],
    ciphertext: [at(p.ciphertext), at(p.ciphertext) + p.ciphertext.length],
    tag: [at(p.tag), at(p.tag) + 16],
  } as const;
}

function flip(envelope: Buffer, offset: number, mask = 0x01): Buffer {
  const copy = Buffer.from(envelope);
  copy[offset] ^= mask;
  return copy;
}

describe('tampering with each region of the envelope', () => {
  // Warm: the cipher that wrote it (keys cached). Cold: a fresh cipher (KMS involved).
  const expected: Record<keyof ReturnType<typeof regions>, { warm: DecryptionFailure[]; cold: DecryptionFailure[] }> = {
    version: { warm: ['unsupported-version'], cold: ['unsupported-version'] },
    keyIdLength: { warm: ['malformed'], cold: ['malformed'] },
    keyId: { warm: ['authentication-failed'], cold: ['wrong-key'] },
    // A shorter length still parses: a different wrapped key, which KMS refuses.
    wrappedKeyLength: { warm: ['malformed', 'kms-rejected'], cold: ['malformed', 'kms-rejected'] },
    wrappedKey: { warm: ['kms-rejected'], cold: ['kms-rejected'] },
    iv: { warm: ['authentication-failed'], cold: ['authentication-failed'] },
    ciphertext: { warm: ['authentication-failed'], cold: ['authentication-failed'] },
    tag: { warm: ['authentication-failed'], cold: ['authentication-failed'] },
  };

  test.each(Object.keys(expected) as (keyof typeof expected)[])('%s: first, middle and last byte', async (region) => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt('a secret worth tampering with', b);
    const [start, end] = regions(envelope)[region];
    for (const offset of new Set([start, (start + end) >> 1, end - 1])) {
      for (const [name, reader] of [['warm', writer], ['cold', cipher()]] as const) {
        const reason = await decryptionFailure(reader.decrypt(flip(envelope, offset), b));
        expect({ region, offset, name, ok: expected[region][name].includes(reason) }).toEqual({ region, offset, name, ok: true });
      }
    }
  });

  test('property: any single flipped bit anywhere fails (warm and cold)', async () => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt(Buffer.alloc(100, 7), b);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: envelope.length - 1 }), fc.integer({ min: 0, max: 7 }), fc.boolean(), async (offset, bit, cold) => {
        const reader = cold ? cipher() : writer;
        await expect(reader.decrypt(flip(envelope, offset, 1 << bit), b)).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 300 },
    );
  });

  test('truncation at every length fails, and so do extra bytes', async () => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt('0123456789', b);
    for (let length = 0; length < envelope.length; length += 1) {
      await expect(writer.decrypt(envelope.subarray(0, length), b)).rejects.toBeInstanceOf(DecryptionError);
    }
    await expect(writer.decrypt(Buffer.concat([envelope, Buffer.from([0])]), b)).rejects.toMatchObject({ reason: 'authentication-failed' });
  });

  test('an empty envelope and garbage are malformed or of an unknown version', async () => {
    expect(await decryptionFailure(cipher().decrypt(Buffer.alloc(0), binding()))).toBe('malformed');
    expect(await decryptionFailure(cipher().decrypt(Buffer.from('not an envelope at all'), binding()))).toBe('unsupported-version');
  });
});

describe('an envelope moved elsewhere does not decrypt', () => {
  const moves: [string, Partial<CipherBinding>, DecryptionFailure, DecryptionFailure][] = [
    ['another row', { rowId: 'aaaaaaaa-0000-4000-8000-000000000000' }, 'authentication-failed', 'authentication-failed'],
    ['another field', { field: 'metadata' }, 'authentication-failed', 'authentication-failed'],
    ['another table', { table: 'integrations' }, 'authentication-failed', 'authentication-failed'],
    ['another purpose', { purpose: 'integration-secret' }, 'context-mismatch', 'kms-rejected'],
    ['another environment', { environmentId: 'ffffffff-0000-4000-8000-000000000000' }, 'context-mismatch', 'kms-rejected'],
  ];

  test.each(moves)('to %s (warm: %s, cold: %s)', async (_name, change, warm, cold) => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt('credentials', b);
    expect(await decryptionFailure(writer.decrypt(envelope, { ...b, ...change }))).toBe(warm);
    expect(await decryptionFailure(cipher().decrypt(envelope, { ...b, ...change }))).toBe(cold);
    // The original place still works, and a mismatch never poisons the cache.
    expect(String(await writer.decrypt(envelope, b))).toBe('credentials');
  });

  test('swapping two rows’ ciphertexts breaks both', async () => {
    const c = cipher();
    const [x, y] = [binding(), binding()];
    const [ex, ey] = [await c.encrypt('x', x), await c.encrypt('y', y)];
    expect(await decryptionFailure(c.decrypt(ey, x))).toBe('authentication-failed');
    expect(await decryptionFailure(c.decrypt(ex, y))).toBe('authentication-failed');
  });

  test('concurrent cold decrypts with a wrong context do not spoil the right one', async () => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt('ok', b);
    const reader = cipher();
    const wrong = reader.decrypt(envelope, { ...b, environmentId: 'other-env' });
    const right = reader.decrypt(envelope, b);
    expect(await decryptionFailure(wrong)).toBe('kms-rejected');
    expect(String(await right)).toBe('ok');
  });
});

describe('KMS keys', () => {
  test('an envelope made under another KMS key is refused unless that key is trusted', async () => {
    const other = new EnvelopeCipher({ kms: kms.client, keyId: 'alias/other' });
    const b = binding();
    const envelope = await other.encrypt('from the other key', b);
    expect(await decryptionFailure(cipher().decrypt(envelope, b))).toBe('wrong-key');
    expect(kms.server.control.stats().calls.Decrypt).toBe(1);
    const trusting = cipher({ trustedKeyIds: [kms.server.keyArn('alias/other')] });
    expect(String(await trusting.decrypt(envelope, b))).toBe('from the other key');
  });

  test('trusted key ids must be ARNs', () => {
    expect(() => cipher({ trustedKeyIds: ['alias/other'] })).toThrow(TypeError);
  });

  test('a disabled key is key-disabled', async () => {
    const writer = cipher();
    const b = binding();
    const envelope = await writer.encrypt('x', b);
    await kms.client.send(new DisableKeyCommand({ KeyId: kms.arn }));
    try {
      expect(await decryptionFailure(cipher().decrypt(envelope, b))).toBe('key-disabled');
    } finally {
      await kms.client.send(new EnableKeyCommand({ KeyId: kms.arn }));
    }
  });

  test.each([
    ['InvalidCiphertextException', 'kms-rejected'],
    ['IncorrectKeyException', 'wrong-key'],
    ['NotFoundException', 'key-not-found'],
    ['AccessDeniedException', 'access-denied'],
    ['KMSInvalidStateException', 'key-disabled'],
  ] as const)('KMS %s → %s', async (code, reason) => {
    const b = binding();
    const envelope = await cipher().encrypt('x', b);
    kms.server.control.injectFault({ operation: 'Decrypt', error: { code }, times: 1 });
    expect(await decryptionFailure(cipher().decrypt(envelope, b))).toBe(reason);
  });

  test('throttling is retried with backoff and is never a DecryptionError', async () => {
    const b = binding();
    const envelope = await cipher().encrypt('x', b);
    const retrying = new EnvelopeCipher({ kms: kmsClient(kms.url, 5), keyId: ALIAS });
    kms.server.control.injectFault({ operation: 'Decrypt', error: { code: 'ThrottlingException' }, times: 2 });
    expect(String(await retrying.decrypt(envelope, b))).toBe('x');
    expect(kms.server.control.count('Decrypt')).toBe(3);
    kms.server.control.injectFault({ operation: 'Decrypt', error: { code: 'ThrottlingException' } });
    const err = await cipher().decrypt(envelope, b).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(DecryptionError);
    expect(err).toMatchObject({ name: 'ThrottlingException' });
  });

  test('the KMS client is never asked to unwrap with a key the envelope did not come from', async () => {
    const seen: (string | undefined)[] = [];
    const client: KMSClient = kmsClient(kms.url);
    client.middlewareStack.add(
      (next) => async (args) => {
        seen.push((args.input as { KeyId?: string }).KeyId);
        return next(args);
      },
      { step: 'initialize', name: 'recordKeyId' },
    );
    const b = binding();
    const envelope = await cipher().encrypt('x', b);
    await new EnvelopeCipher({ kms: client, keyId: ALIAS }).decrypt(envelope, b);
    expect(seen).toEqual([ALIAS]);
  });
});

describe('errors carry no secrets', () => {
  test('no message, String(), JSON or stack of a DecryptionError holds plaintext, data key or envelope bytes', async () => {
    const c = cipher();
    const b = binding();
    const secret = 'sk_live_super_secret_value_42';
    const envelope = await c.encrypt(secret, b);
    const { wrappedKey, ciphertext } = decodeEnvelope(envelope);
    const dataKey = c.cache.getForDecryption(wrappedKey)!.material.key;
    const attempts = [
      () => c.decrypt(flip(envelope, envelope.length - 1), b),
      () => c.decrypt(envelope, { ...b, rowId: 'other' }),
      () => cipher().decrypt(envelope, { ...b, environmentId: 'other' }),
      () => cipher().decrypt(flip(envelope, regions(envelope).wrappedKey[0] + 3), b),
      () => c.decrypt(envelope.subarray(0, 20), b),
      () => c.decrypt(flip(envelope, 0), b),
    ];
    const forbidden = [
      secret,
      dataKey.toString('hex'),
      dataKey.toString('base64'),
      wrappedKey.toString('base64'),
      wrappedKey.toString('hex'),
      ciphertext.toString('hex'),
      envelope.toString('base64'),
      'sk_live',
    ];
    for (const attempt of attempts) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DecryptionError);
      const e = err as DecryptionError;
      const texts = [e.message, String(e), JSON.stringify(e), e.stack ?? '', JSON.stringify(Object.entries(e))];
      for (const text of texts) for (const f of forbidden) expect(text.includes(f)).toBe(false);
      expect(Object.keys(e).sort()).toEqual(['name', 'reason']);
      expect('cause' in e).toBe(false);
      expect(JSON.parse(JSON.stringify(e))).toEqual({ name: 'DecryptionError', reason: e.reason, message: `Decryption failed: ${e.reason}` });
    }
  });

  test('decryptJson of authentic non-JSON bytes does not quote them', async () => {
    const c = cipher();
    const b = binding();
    const err = await c.decryptJson(await c.encrypt('{"token": sk_live_abc', b), b).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'not-json' });
    expect(String(err).includes('sk_live')).toBe(false);
  });
});
