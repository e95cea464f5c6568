import { envelopeCipher } from '../../../../lambdas/platform/crypto/process-cipher';
import { RequestScope, runInRequestScope } from '../../../../lambdas/platform/observability/request-scope';
import { startTestStack, type TestStack } from '../../../support/local-stack';
import { binding } from './kms-fixture';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

describe('envelopeCipher()', () => {
  test('is one cipher per process, on the configured KMS key, so later invocations are warm', async () => {
    expect(envelopeCipher()).toBe(envelopeCipher());
    t.stack.kms.control.resetStats();
    const b = binding();
    const first = new RequestScope();
    const envelope = await runInRequestScope(() => envelopeCipher().encrypt('token', b), first);
    expect(first.kmsCalls).toBe(1);
    const second = new RequestScope();
    const plaintext = await runInRequestScope(() => envelopeCipher().decrypt(envelope, b), second);
    expect({ plaintext: String(plaintext), kmsCalls: second.kmsCalls }).toEqual({ plaintext: 'token', kmsCalls: 0 });
    expect(t.stack.kms.control.stats().calls).toEqual({ GenerateDataKey: 1 });
  });
});
