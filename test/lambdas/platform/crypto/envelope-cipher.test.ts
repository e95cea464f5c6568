import { DecryptCommand } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { PURPOSES, type CipherBinding } from '../../../../lambdas/platform/crypto/binding';
import { DecryptionError } from '../../../../lambdas/platform/crypto/decryption-error';
import type { EnvelopeCipherOptions } from '../../../../lambdas/platform/crypto/envelope-cipher';
import { decodeEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';
import { binding, cipherOn, manualClock, useKms } from './kms-fixture';

const kms = useKms();

const cipher = (options: Partial<EnvelopeCipherOptions> = {}) => cipherOn(kms, options);
const calls = () => kms.server.control.stats().calls;
const ENV_A = '0a0a0a0a-0000-4000-8000-00000000000a';
const ENV_B = '0b0b0b0b-0000-4000-8000-00000000000b';

describe('EnvelopeCipher round trips', () => {
  test('strings, bytes, empty plaintext and JSON come back unchanged', async () => {
    const c = cipher();
    const b = binding();
    expect((await c.decrypt(await c.encrypt('héllo', b), b)).toString('utf8')).toBe('héllo');
    const bytes = Buffer.from([0, 1, 2, 255]);
    expect((await c.decrypt(await c.encrypt(bytes, b), b)).equals(bytes)).toBe(true);
    expect((await c.decrypt(await c.encrypt('', b), b)).length).toBe(0);
    const value = { access_token: 'at', expires_at: '2026-01-01T00:00:00Z', scopes: ['a', 'b'] };
    expect(await c.decryptJson(await c.encryptJson(value, b), b)).toEqual(value);
  });

  test('the envelope names the key ARN, hides the plaintext and uses a fresh IV each time', async () => {
    const c = cipher();
    const b = binding();
    const [e1, e2] = [await c.encrypt('secret-value-123', b), await c.encrypt('secret-value-123', b)];
    const [p1, p2] = [decodeEnvelope(e1), decodeEnvelope(e2)];
    expect(e1[0]).toBe(1);
    expect(p1.keyId.toString()).toBe(kms.arn);
    expect(e1.includes(Buffer.from('secret-value-123'))).toBe(false);
    expect(p1.wrappedKey.equals(p2.wrappedKey)).toBe(true);
    expect(p1.iv.equals(p2.iv)).toBe(false);
    expect(p1.ciphertext.equals(p2.ciphertext)).toBe(false);
    expect(p1.tag.length).toBe(16);
  });

  test('the wrapped key is bound to {environment, purpose} in KMS', async () => {
    const c = cipher();
    const { wrappedKey } = decodeEnvelope(await c.encrypt('x', binding({ environmentId: ENV_A, purpose: 'integration-secret' })));
    const unwrap = (EncryptionContext: Record<string, string>) => kms.client.send(new DecryptCommand({ CiphertextBlob: wrappedKey, EncryptionContext }));
    await expect(unwrap({ environment: ENV_A, purpose: 'integration-secret' })).resolves.toMatchObject({ KeyId: kms.arn });
    await expect(unwrap({ environment: ENV_B, purpose: 'integration-secret' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(unwrap({ environment: ENV_A, purpose: 'oauth-session' })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(unwrap({ environment: ENV_A })).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  test('property: random payloads up to 64 KB under random bindings round-trip, and only under their binding', async () => {
    const c = cipher();
    const text = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
    const bindingArb = fc.record({
      environmentId: fc.constantFrom(ENV_A, ENV_B, 'e3'),
      purpose: fc.constantFrom(...PURPOSES),
      table: text,
      rowId: fc.oneof(fc.uuid(), text),
      field: text,
    });
    const keys = ['environmentId', 'purpose', 'table', 'rowId', 'field'] as const;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 * 1024 }), bindingArb, fc.constantFrom(...keys), text, async (payload, b, moved, other) => {
        const envelope = await c.encrypt(payload, b);
        expect(Buffer.from(await c.decrypt(envelope, b)).equals(Buffer.from(payload))).toBe(true);
        const elsewhere: CipherBinding = { ...b, [moved]: moved === 'purpose' ? (b.purpose === 'record-payload' ? 'oauth-session' : 'record-payload') : b[moved] + other };
        await expect(c.decrypt(envelope, elsewhere)).rejects.toBeInstanceOf(DecryptionError);
      }),
      { numRuns: 150 },
    );
  });

  test('a bad binding is a TypeError before any KMS call', async () => {
    const c = cipher();
    await expect(c.encrypt('x', binding({ purpose: 'nope' as never }))).rejects.toBeInstanceOf(TypeError);
    await expect(c.encrypt('x', binding({ rowId: '' }))).rejects.toBeInstanceOf(TypeError);
    expect(calls()).toEqual({});
  });

  test('current envelopes are not outdated', async () => {
    const c = cipher();
    expect(c.isOutdated(await c.encrypt('x', binding()))).toBe(false);
  });
});

describe('EnvelopeCipher data key cache (KMS calls counted by the stand-in)', () => {
  test('1 000 encryptions for one (environment, purpose) → 1 GenerateDataKey; reading them back → no Decrypt', async () => {
    const c = cipher();
    const items = Array.from({ length: 1_000 }, () => binding({ environmentId: ENV_A }));
    const envelopes: Buffer[] = [];
    for (const b of items) envelopes.push(await c.encrypt(`secret ${b.rowId}`, b));
    expect(calls()).toEqual({ GenerateDataKey: 1 });
    for (let i = 0; i < items.length; i += 1) expect((await c.decrypt(envelopes[i], items[i])).toString()).toBe(`secret ${items[i].rowId}`);
    expect(calls()).toEqual({ GenerateDataKey: 1 });
  });

  test('each (environment, purpose) gets its own data key', async () => {
    const c = cipher();
    for (const environmentId of [ENV_A, ENV_B]) {
      for (const purpose of ['connection-credentials', 'integration-secret'] as const) {
        for (let i = 0; i < 3; i += 1) await c.encrypt('x', binding({ environmentId, purpose }));
      }
    }
    expect(kms.server.control.count('GenerateDataKey')).toBe(4);
  });

  test('a cold process decrypting 10 000 envelopes of one environment under one data key → exactly 1 Decrypt', async () => {
    const writer = cipher();
    const items = Array.from({ length: 10_000 }, () => binding({ environmentId: ENV_A }));
    const envelopes = await Promise.all(items.map((b) => writer.encrypt(b.rowId, b)));
    expect(new Set(envelopes.map((e) => decodeEnvelope(e).wrappedKey.toString('hex'))).size).toBe(1);
    kms.server.control.resetStats();
    const reader = cipher();
    for (let i = 0; i < items.length; i += 1) expect((await reader.decrypt(envelopes[i], items[i])).toString()).toBe(items[i].rowId);
    expect(calls()).toEqual({ Decrypt: 1 });
  });

  test('concurrent cold misses share one KMS call', async () => {
    kms.server.control.injectFault({ operation: 'GenerateDataKey', latencyMs: 50, times: 1 });
    const writer = cipher();
    const items = Array.from({ length: 50 }, () => binding({ environmentId: ENV_B }));
    const envelopes = await Promise.all(items.map((b) => writer.encrypt('x', b)));
    expect(kms.server.control.count('GenerateDataKey')).toBe(1);
    kms.server.control.injectFault({ operation: 'Decrypt', latencyMs: 50, times: 1 });
    const reader = cipher();
    await Promise.all(items.map((b, i) => reader.decrypt(envelopes[i], b)));
    expect(kms.server.control.count('Decrypt')).toBe(1);
  });

  test('max messages: 25 encryptions with maxMessages 10 → 3 data keys, used 10, 10 and 5 times', async () => {
    const c = cipher({ cache: { maxMessages: 10 } });
    const envelopes: Buffer[] = [];
    for (let i = 0; i < 25; i += 1) envelopes.push(await c.encrypt('x', binding()));
    expect(calls()).toEqual({ GenerateDataKey: 3 });
    const perKey = new Map<string, number>();
    for (const e of envelopes) {
      const k = decodeEnvelope(e).wrappedKey.toString('hex');
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    expect([...perKey.values()]).toEqual([10, 10, 5]);
  });

  test('concurrent encryptions never use a key more than maxMessages times', async () => {
    kms.server.control.injectFault({ operation: 'GenerateDataKey', latencyMs: 20, times: 1 });
    const c = cipher({ cache: { maxMessages: 4 } });
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => c.encrypt('x', binding())));
    const perKey = new Map<string, number>();
    for (const e of envelopes) {
      const k = decodeEnvelope(e).wrappedKey.toString('hex');
      perKey.set(k, (perKey.get(k) ?? 0) + 1);
    }
    expect(Math.max(...perKey.values())).toBeLessThanOrEqual(4);
    expect(kms.server.control.count('GenerateDataKey')).toBe(perKey.size);
  });

  test('max age: after maxAgeMs a new key is generated and an old envelope costs one Decrypt again', async () => {
    const clock = manualClock();
    const c = cipher({ cache: { maxAgeMs: 60_000, clock } });
    const b = binding();
    const first = await c.encrypt('one', b);
    clock.advance(59_999);
    await c.encrypt('two', b);
    await c.decrypt(first, b);
    expect(calls()).toEqual({ GenerateDataKey: 1 });
    clock.advance(1);
    const third = await c.encrypt('three', b);
    expect(calls()).toEqual({ GenerateDataKey: 2 });
    expect(decodeEnvelope(third).wrappedKey.equals(decodeEnvelope(first).wrappedKey)).toBe(false);
    expect((await c.decrypt(first, b)).toString()).toBe('one');
    expect(calls()).toEqual({ GenerateDataKey: 2, Decrypt: 1 });
    await c.decrypt(first, b);
    expect(calls()).toEqual({ GenerateDataKey: 2, Decrypt: 1 });
  });

  test('LRU: with capacity 2, reading environments A, B, C, A costs 4 Decrypts; A, B, A, B costs 2', async () => {
    const writer = cipher();
    const items = ['e-a', 'e-b', 'e-c'].map((environmentId) => binding({ environmentId }));
    const envelopes = await Promise.all(items.map((b) => writer.encrypt('x', b)));
    kms.server.control.resetStats();
    const reader = cipher({ cache: { capacity: 2 } });
    for (const i of [0, 1, 2, 0]) await reader.decrypt(envelopes[i], items[i]);
    expect(calls()).toEqual({ Decrypt: 4 });
    expect(reader.cache.size).toBe(2);
    kms.server.control.resetStats();
    const other = cipher({ cache: { capacity: 2 } });
    for (const i of [0, 1, 0, 1]) await other.decrypt(envelopes[i], items[i]);
    expect(calls()).toEqual({ Decrypt: 2 });
  });

  test('a key that expires between one caller taking it and using it is never used zeroed', async () => {
    // Clock calls: the store (t+600), caller 1 takes (t+1200, age 600), caller 2 takes (t+1800,
    // age 1200 ≥ 1000: evicted and zeroed) before caller 1 encrypts. Then time stands still, and
    // each caller gets a key of its own: 3 GenerateDataKey in all.
    let calls = 0;
    const clock = () => new Date(Date.UTC(2026, 0, 1) + 600 * Math.min(++calls, 3));
    const c = cipher({ cache: { maxAgeMs: 1_000, clock } });
    const items = [binding(), binding()];
    const envelopes = await Promise.all(items.map((b) => c.encrypt(b.rowId, b)));
    expect(kms.server.control.count('GenerateDataKey')).toBe(3);
    const reader = cipher();
    expect((await Promise.all(items.map((b, i) => reader.decrypt(envelopes[i], b)))).map(String)).toEqual(items.map((b) => b.rowId));
  });

  test('a new cipher (process) is a cold cache: one Decrypt per data key it meets', async () => {
    const writer = cipher();
    const items = [ENV_A, ENV_B].map((environmentId) => binding({ environmentId, purpose: 'environment-secret' }));
    const envelopes = await Promise.all(items.map((b) => writer.encrypt(randomUUID(), b)));
    kms.server.control.resetStats();
    const reader = cipher();
    for (let round = 0; round < 3; round += 1) for (let i = 0; i < 2; i += 1) await reader.decrypt(envelopes[i], items[i]);
    expect(calls()).toEqual({ Decrypt: 2 });
  });
});
