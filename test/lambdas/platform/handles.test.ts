import { platformHandles } from '../../../lambdas/platform/handles';
import { RequestScope, runInRequestScope } from '../../../lambdas/platform/observability/request-scope';
import { startTestStack, type TestStack } from '../../support/local-stack';
import { binding } from './crypto/kms-fixture';

let t: TestStack;
beforeAll(async () => (t = await startTestStack()));
afterAll(() => t.stop());

describe('platformHandles()', () => {
  test('reads no setting until a handle is used', () => {
    let reads = 0;
    platformHandles(() => {
      reads += 1;
      throw new Error('unset');
    });
    expect(reads).toBe(0);
  });

  test('one cipher per composition root, on the configured KMS key, so later invocations are warm', async () => {
    const handles = platformHandles();
    expect(handles.cipher).toBe(handles.cipher);
    expect(handles.db).toBe(handles.db);
    t.stack.kms.control.resetStats();
    const b = binding();
    const first = new RequestScope();
    const envelope = await runInRequestScope(() => handles.cipher.encrypt('token', b), first);
    expect(first.kmsCalls).toBe(1);
    const second = new RequestScope();
    const plaintext = await runInRequestScope(() => handles.cipher.decrypt(envelope, b), second);
    expect({ plaintext: String(plaintext), kmsCalls: second.kmsCalls }).toEqual({ plaintext: 'token', kmsCalls: 0 });
    expect(t.stack.kms.control.stats().calls).toEqual({ GenerateDataKey: 1 });
  });
});
