import { ListKeyRotationsCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { DecryptionError } from '../../../../lambdas/platform/crypto/decryption-error';
import { decodeEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';
import { binding, cipherOn, useKms } from './kms-fixture';

const kms = useKms();

const cipher = () => cipherOn(kms);
const wrapped = (envelope: Buffer) => decodeEnvelope(envelope).wrappedKey.toString('hex');

describe('KMS key rotation and re-encryption', () => {
  test('envelopes written before RotateKeyOnDemand still decrypt, warm and cold', async () => {
    const writer = cipher();
    const items = [binding(), binding({ purpose: 'oauth-session', table: 'oauth_sessions', field: 'code_verifier' })];
    const before = await Promise.all(items.map((b) => writer.encrypt(`before ${b.rowId}`, b)));
    await kms.client.send(new RotateKeyOnDemandCommand({ KeyId: kms.arn }));
    expect((await kms.client.send(new ListKeyRotationsCommand({ KeyId: kms.arn }))).Rotations?.length).toBeGreaterThanOrEqual(1);
    for (const reader of [writer, cipher()]) {
      expect((await Promise.all(items.map((b, i) => reader.decrypt(before[i], b)))).map(String)).toEqual(items.map((b) => `before ${b.rowId}`));
    }
  });

  test('reencrypt gives a new data key (a KMS call), the same plaintext and the same binding', async () => {
    const c = cipher();
    const b = binding();
    const old = await c.encrypt('payload', b);
    kms.server.control.resetStats();
    const fresh = await c.reencrypt(old, b);
    expect(wrapped(fresh)).not.toBe(wrapped(old));
    expect(kms.server.control.stats().calls).toEqual({ GenerateDataKey: 1 });
    expect(String(await cipher().decrypt(fresh, b))).toBe('payload');
    await expect(c.decrypt(fresh, { ...b, rowId: 'elsewhere' })).rejects.toBeInstanceOf(DecryptionError);
  });

  test('after a rotation, retireDataKeys makes every re-encryption use a key generated after it', async () => {
    const items = Array.from({ length: 20 }, () => binding());
    const old = await Promise.all(items.map((b) => cipher().encrypt(b.rowId, b)));
    // Each upgrader holds a cached encryption key from before the rotation (not the envelopes' key).
    const [retiring, stale] = [cipher(), cipher()];
    const decoys = await Promise.all([retiring, stale].map((c) => c.encrypt('decoy', items[0])));
    await kms.client.send(new RotateKeyOnDemandCommand({ KeyId: kms.arn }));
    retiring.retireDataKeys();
    kms.server.control.resetStats();
    const upgraded: Buffer[] = [];
    for (let i = 0; i < items.length; i += 1) upgraded.push(await retiring.reencrypt(old[i], items[i]));
    expect(kms.server.control.stats().calls).toEqual({ GenerateDataKey: 1, Decrypt: 20 });
    const keys = new Set(upgraded.map(wrapped));
    expect(keys.size).toBe(1);
    expect([...old, ...decoys].some((e) => keys.has(wrapped(e)))).toBe(false);
    // Without retiring, the cached pre-rotation key would be reused.
    expect(wrapped(await stale.reencrypt(old[0], items[0]))).toBe(wrapped(decoys[1]));
    const reader = cipher();
    expect((await Promise.all(items.map((b, i) => reader.decrypt(upgraded[i], b)))).map(String)).toEqual(items.map((b) => b.rowId));
  });

  test('reencrypt of a tampered or misplaced envelope fails with DecryptionError and makes no new key', async () => {
    const c = cipher();
    const b = binding();
    const old = await c.encrypt('payload', b);
    kms.server.control.resetStats();
    await expect(c.reencrypt(old, { ...b, field: 'other' })).rejects.toMatchObject({ reason: 'authentication-failed' });
    const tampered = Buffer.from(old);
    tampered[tampered.length - 1] ^= 1;
    await expect(c.reencrypt(tampered, b)).rejects.toMatchObject({ reason: 'authentication-failed' });
    expect(kms.server.control.stats().calls).toEqual({});
  });
});
