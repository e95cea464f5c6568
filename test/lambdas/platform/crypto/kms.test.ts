import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { createKmsClient } from '../../../../lambdas/platform/crypto/kms';
import { EnvelopeCipher } from '../../../../lambdas/platform/crypto/envelope-cipher';
import { RequestScope, runInRequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { ALIAS, binding, startKms, type KmsFixture } from './kms-fixture';

/** createKmsClient() finds the endpoint through the SDK's standard AWS_ENDPOINT_URL_KMS variable. */
let kms: KmsFixture;
const saved = { ...process.env };
beforeAll(async () => {
  kms = await startKms();
  Object.assign(process.env, { AWS_ENDPOINT_URL_KMS: kms.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
});
afterAll(async () => {
  process.env = saved;
  await kms.stop();
});
beforeEach(() => {
  kms.server.control.resetStats();
  kms.server.control.clearFaults();
});

const generate = () => createKmsClient().send(new GenerateDataKeyCommand({ KeyId: ALIAS, KeySpec: 'AES_256' }));

describe('createKmsClient', () => {
  test('retries ThrottlingException with backoff until it succeeds', async () => {
    kms.server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'ThrottlingException', message: 'Rate exceeded' }, times: 2 });
    const out = await generate();
    expect(out.Plaintext).toHaveLength(32);
    expect(kms.server.control.count('GenerateDataKey')).toBe(3);
  });

  test('retries KMS internal errors (HTTP 500)', async () => {
    kms.server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'KMSInternalException', status: 500 }, times: 1 });
    await expect(generate()).resolves.toMatchObject({ KeyId: kms.arn });
    expect(kms.server.control.count('GenerateDataKey')).toBe(2);
  });

  test('gives up after 5 attempts', async () => {
    kms.server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'KMSInternalException', status: 500 } });
    await expect(generate()).rejects.toMatchObject({ name: 'KMSInternalException' });
    expect(kms.server.control.count('GenerateDataKey')).toBe(5);
  }, 60_000);

  test('does not retry errors about the request (e.g. NotFoundException)', async () => {
    await expect(createKmsClient().send(new GenerateDataKeyCommand({ KeyId: 'alias/missing', KeySpec: 'AES_256' }))).rejects.toMatchObject({
      name: 'NotFoundException',
    });
    expect(kms.server.control.count('GenerateDataKey')).toBe(1);
  });

  test('counts each KMS call (not each retry) in the request scope; a warm cipher adds none', async () => {
    const cipher = new EnvelopeCipher({ kms: createKmsClient(), keyId: ALIAS });
    const b = binding();
    kms.server.control.injectFault({ operation: 'GenerateDataKey', error: { code: 'ThrottlingException' }, times: 1 });
    const cold = new RequestScope();
    const envelope = await runInRequestScope(() => cipher.encrypt('x', b), cold);
    expect(cold.kmsCalls).toBe(1);
    expect(kms.server.control.count('GenerateDataKey')).toBe(2);
    const warm = new RequestScope();
    await runInRequestScope(async () => {
      for (let i = 0; i < 100; i += 1) await cipher.decrypt(await cipher.encrypt('y', b), b);
      await cipher.decrypt(envelope, b);
    }, warm);
    expect(warm.kmsCalls).toBe(0);
  });
});
