import { createKmsClient } from '../../../lambdas/platform/crypto/kms';
import { SecretHasher } from '../../../lambdas/platform/crypto/secret-hash';
import { database, env } from '../../../lambdas/platform/config';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** The container's hasher: one load shared by every caller, and a failed load retried by the next one. */

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(async () => t?.stop());

/** A fresh copy of the module, like a new Lambda container (nothing loaded yet). */
function container(): typeof import('../../../lambdas/auth/secret-hasher') {
  let loaded!: typeof import('../../../lambdas/auth/secret-hasher');
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module copy needs require inside isolateModules
    loaded = require('../../../lambdas/auth/secret-hasher') as typeof import('../../../lambdas/auth/secret-hasher');
  });
  return loaded;
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
