import { createKmsClient } from '../../../lambdas/platform/crypto/kms';
import { SecretHasher } from '../../../lambdas/platform/crypto/secret-hash';
import { secretHasherLoader } from '../../../lambdas/auth/secret-hasher';
import { env } from '../../../lambdas/platform/config';
import { database } from '../../support/handles';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** The container's hasher: one load shared by every caller, and a failed load retried by the next one. */

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(async () => t?.stop());

/** A fresh loader, like a new Lambda container's composition root (nothing loaded yet). */
function container() {
  return { secretHasher: secretHasherLoader(database, () => env().LATCHKEY_KMS_KEY_ID) };
}

const reference = () => SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID);

test('every caller of a container shares one load: one KMS Decrypt, the same hasher', async () => {
  const { secretHasher } = container();
  t.stack.kms.control.resetStats();
  const [a, b] = await Promise.all([secretHasher(), secretHasher()]);
  expect(b).toBe(a);
  expect(await secretHasher()).toBe(a);
  expect(t.stack.kms.control.stats().calls).toEqual({ Decrypt: 1 });
  expect(a.hash('some-secret')).toEqual((await reference()).hash('some-secret'));
});

test('a load that failed is not kept: the next call loads again and succeeds', async () => {
  const [{ wrapped_key: wrapped }] = await database().query<{ wrapped_key: Buffer }>("SELECT wrapped_key FROM deployment_keys WHERE purpose = 'secret-hash-pepper'");
  const { secretHasher } = container();
  await database().query("UPDATE deployment_keys SET wrapped_key = :junk WHERE purpose = 'secret-hash-pepper'", { junk: Buffer.from('not a KMS ciphertext') });
  try {
    await expect(secretHasher()).rejects.toThrow();
  } finally {
    await database().query("UPDATE deployment_keys SET wrapped_key = :wrapped WHERE purpose = 'secret-hash-pepper'", { wrapped });
  }
  const hasher = await secretHasher();
  expect(hasher.hash('some-secret')).toEqual((await reference()).hash('some-secret'));
  expect(await secretHasher()).toBe(hasher);
});
