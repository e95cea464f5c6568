import { DecryptionError, decryptionErrorFromKms } from '../../../../lambdas/platform/crypto/decryption-error';

describe('decryptionErrorFromKms', () => {
  test('maps the KMS refusals about a ciphertext to their fixed reasons, by error name', () => {
    const named = (name: string) => Object.assign(new Error('KMS said something that may echo input'), { name });
    expect(decryptionErrorFromKms(named('InvalidCiphertextException'))?.reason).toBe('kms-rejected');
    expect(decryptionErrorFromKms(named('NotFoundException'))?.reason).toBe('key-not-found');
    expect(decryptionErrorFromKms({ name: 'DisabledException' })?.reason).toBe('key-disabled');
    expect(decryptionErrorFromKms(named('AccessDeniedException'))).toEqual(new DecryptionError('access-denied'));
  });

  test('anything else is not a decryption failure: throttling, 5xx, non-errors, inherited names', () => {
    const others = [
      Object.assign(new Error('slow down'), { name: 'ThrottlingException' }),
      Object.assign(new Error('oops'), { name: 'KMSInternalException' }),
      { name: 'toString' },
      { name: 'constructor' },
      {},
      null,
      undefined,
      'InvalidCiphertextException',
      42,
    ];
    for (const err of others) expect([err, decryptionErrorFromKms(err)]).toEqual([err, undefined]);
  });
});
