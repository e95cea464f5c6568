import { DecryptCommand, GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { database } from '../../../support/handles';
import { editedKmsClient, KMS_ANSWER_EDITS } from './kms-fixture';
import { SecretHasher } from '../../../../lambdas/platform/crypto/secret-hash';
import { createKmsClient } from '../../../../lambdas/platform/crypto/kms';
import { env } from '../../../../lambdas/platform/config';
import { runInRequestScope, RequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import type { SqlExecutor } from '../../../../lambdas/platform/db/data-api';
import type { Parameters } from '../../../../lambdas/platform/db/parameters';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

describe('SecretHasher', () => {
  test('creates one KMS-wrapped pepper and every loader derives the same hashes from it', async () => {
    await database().query('DELETE FROM deployment_keys');
    const [a, b] = await Promise.all([
      SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID),
      SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID),
    ]);
    expect(a.hash('secret')).toEqual(b.hash('secret'));
    expect(await database().query('SELECT count(*)::int AS n FROM deployment_keys')).toEqual([{ n: 1 }]);
    const [row] = await database().query<{ wrapped_key: Buffer }>('SELECT wrapped_key FROM deployment_keys');
    expect(row.wrapped_key.includes(Buffer.from('secret'))).toBe(false);
  });

  test('a warm load costs one statement and one KMS Decrypt; hashing costs nothing', async () => {
    const scope = new RequestScope();
    t.stack.kms.control.resetStats();
    const hasher = await runInRequestScope(() => SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID), scope);
    expect({ statements: scope.dbStatements, kms: scope.kmsCalls }).toEqual({ statements: 1, kms: 1 });
    expect(t.stack.kms.control.stats().calls).toEqual({ Decrypt: 1 });
    hasher.hash('x');
    expect(t.stack.kms.control.stats().calls).toEqual({ Decrypt: 1 });
  });

  test('creating the pepper costs one GenerateDataKey and no Decrypt; a loader that lost the race decrypts the stored one', async () => {
    await database().query('DELETE FROM deployment_keys');
    t.stack.kms.control.resetStats();
    const first = await SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
    expect(t.stack.kms.control.stats().calls).toEqual({ GenerateDataKey: 1 });
    // A loader that read before the first one inserted: its own key loses, the stored one is used.
    const db = database();
    const lateReader: SqlExecutor = {
      query: async <R>(sql: string, params?: Parameters) => (sql.startsWith('SELECT') ? [] : db.query<R>(sql, params)),
      execute: (sql, params) => db.execute(sql, params),
    };
    t.stack.kms.control.resetStats();
    const late = await SecretHasher.load(lateReader, createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
    expect(t.stack.kms.control.stats().calls).toEqual({ GenerateDataKey: 1, Decrypt: 1 });
    expect(late.hash('k')).toEqual(first.hash('k'));
    expect(await database().query('SELECT count(*)::int AS n FROM deployment_keys')).toEqual([{ n: 1 }]);
  });

  test.each([
    ['GenerateDataKey without a wrapped key', 'GenerateDataKey', KMS_ANSWER_EDITS.noCiphertextBlob, 'KMS returned no ciphertext for the secret-hash pepper'],
    ['GenerateDataKey without a key', 'GenerateDataKey', KMS_ANSWER_EDITS.noPlaintext, 'KMS returned no usable plaintext for the secret-hash pepper'],
    ['GenerateDataKey with a 16-byte key', 'GenerateDataKey', KMS_ANSWER_EDITS.shortPlaintext, 'KMS returned no usable plaintext for the secret-hash pepper'],
    ['Decrypt with a 16-byte key', 'Decrypt', KMS_ANSWER_EDITS.shortPlaintext, 'KMS returned no usable plaintext for the secret-hash pepper'],
  ] as const)('%s: no hasher, a clear error, the key bytes wiped and nothing stored', async (_name, operation, edit, message) => {
    if (operation === 'GenerateDataKey') await database().query('DELETE FROM deployment_keys');
    else await SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
    let given: Uint8Array | undefined;
    const kms = editedKmsClient(t.stack.env.AWS_ENDPOINT_URL_KMS, operation === 'Decrypt' ? DecryptCommand : GenerateDataKeyCommand, (out) => {
      edit(out);
      given = out.Plaintext as Uint8Array | undefined;
    });
    await expect(SecretHasher.load(database(), kms, env().LATCHKEY_KMS_KEY_ID)).rejects.toThrow(new Error(message));
    if (given) expect(Buffer.from(given).equals(Buffer.alloc(given.length))).toBe(true);
    expect(await database().query('SELECT count(*)::int AS n FROM deployment_keys')).toEqual([{ n: operation === 'Decrypt' ? 1 : 0 }]);
  });

  test('matches only the exact secret', async () => {
    const hasher = await SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
    const stored = hasher.hash('2f0c6d1e-1111-4222-8333-444455556666');
    expect(stored).toHaveLength(32);
    expect(hasher.matches('2f0c6d1e-1111-4222-8333-444455556666', stored)).toBe(true);
    expect(hasher.matches('2f0c6d1e-1111-4222-8333-444455556667', stored)).toBe(false);
    expect(hasher.matches('short', stored.subarray(0, 5))).toBe(false);
  });
});
