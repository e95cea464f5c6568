import { DecryptCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, KMSClient, type DataKeySpec } from '@aws-sdk/client-kms';
import { KmsServer } from '../../../local/kms';
import { rejection, type SdkError } from '../../support/rejection';

// Conformance of the cryptographic operations the functions use (GenerateDataKey, Decrypt)
// through the real SDK client (checklist §2.10).

const failure = (call: Promise<unknown>) => rejection<SdkError>(call);

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
let server: KmsServer;
let url: string;
let kms: KMSClient;
let keyArn: string;
let keyId: string;

beforeAll(async () => {
  server = new KmsServer({ aliases: ['alias/latchkey', 'alias/other', 'alias/toggled'] });
  url = await server.start();
  kms = new KMSClient({ endpoint: url, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  keyArn = server.keyArn('alias/latchkey');
  keyId = keyArn.split('/')[1];
});

afterAll(async () => {
  kms.destroy();
  await server.stop();
});

/** A data key sealed under `key` with `context`: its ciphertext and plaintext. */
async function seal(context?: Record<string, string>, key = keyArn): Promise<{ blob: Uint8Array; plaintext: Buffer }> {
  const out = await kms.send(new GenerateDataKeyCommand({ KeyId: key, NumberOfBytes: 16, EncryptionContext: context }));
  return { blob: out.CiphertextBlob!, plaintext: Buffer.from(out.Plaintext!) };
}

describe('KeyId resolution', () => {
  test('key id, key ARN, alias name and alias ARN all name the key; responses carry the key ARN', async () => {
    expect(keyArn).toMatch(new RegExp(`^arn:aws:kms:${REGION}:${ACCOUNT}:key/[0-9a-f-]{36}$`));
    for (const ref of [keyId, keyArn, 'alias/latchkey', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/latchkey`]) {
      const out = await kms.send(new GenerateDataKeyCommand({ KeyId: ref, KeySpec: 'AES_256' }));
      expect(out.KeyId).toBe(keyArn);
    }
  });

  test.each([
    ['unknown key id', '11111111-2222-3333-4444-555555555555', `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555' does not exist`],
    ['unknown alias', 'alias/missing', `Alias 'arn:aws:kms:${REGION}:${ACCOUNT}:alias/missing' is not found.`],
    ['unknown alias ARN', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/missing`, `Alias 'arn:aws:kms:${REGION}:${ACCOUNT}:alias/missing' is not found.`],
    ['ARN from another region', `arn:aws:kms:eu-west-1:${ACCOUNT}:alias/latchkey`, `Alias 'arn:aws:kms:eu-west-1:${ACCOUNT}:alias/latchkey' is not found.`],
    ['not a key id at all', 'latchkey', "Invalid keyId 'latchkey'"],
  ])('%s → NotFoundException (404, as in the KMS model)', async (_, ref, message) => {
    const err = await failure(kms.send(new GenerateDataKeyCommand({ KeyId: ref, KeySpec: 'AES_256' })));
    expect(err.name).toBe('NotFoundException');
    expect(err.message).toBe(message);
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});

describe('GenerateDataKey', () => {
  test('AES_256 gives 32 bytes that Decrypt (without KeyId) gives back', async () => {
    const context = { tenant: 't1', purpose: 'credentials' };
    const out = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/latchkey', KeySpec: 'AES_256', EncryptionContext: context }));
    expect(out.KeyId).toBe(keyArn);
    expect(out.Plaintext).toHaveLength(32);
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: context }));
    expect(back.KeyId).toBe(keyArn);
    expect(Buffer.from(back.Plaintext!).equals(Buffer.from(out.Plaintext!))).toBe(true);
  });

  test.each([
    [{ KeySpec: 'AES_128' as DataKeySpec }, 16],
    [{ NumberOfBytes: 1 }, 1],
    [{ NumberOfBytes: 1024 }, 1024],
  ])('%j gives %i bytes', async (spec, length) => {
    const out = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, ...spec }));
    expect(out.Plaintext).toHaveLength(length);
  });

  test('data keys are random', async () => {
    const a = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' }));
    const b = await kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256' }));
    expect(Buffer.from(a.Plaintext!).equals(Buffer.from(b.Plaintext!))).toBe(false);
  });
});

describe('validation', () => {
  test.each([
    ['both KeySpec and NumberOfBytes', { KeySpec: 'AES_256' as DataKeySpec, NumberOfBytes: 32 }, '1 validation error detected: Please specify either NumberOfBytes or KeySpec, not both.'],
    ['neither KeySpec nor NumberOfBytes', {}, '1 validation error detected: Please specify either NumberOfBytes or KeySpec.'],
    ['NumberOfBytes 0', { NumberOfBytes: 0 }, "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"],
    ['NumberOfBytes 1025', { NumberOfBytes: 1025 }, "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"],
    ['KeySpec AES_512', { KeySpec: 'AES_512' as DataKeySpec }, "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"],
  ])('GenerateDataKey with %s → ValidationException', async (_, spec, message) => {
    const err = await failure(kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, ...spec })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe(message);
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  test('CiphertextBlob must be at most 6144 bytes', async () => {
    const err = await failure(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.alloc(6145, 1) })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe("1 validation error detected: Value at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144");
  });

  test('several violations are reported together', async () => {
    const err = await failure(kms.send(new GenerateDataKeyCommand({ KeyId: '', NumberOfBytes: 0 })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(/^2 validation errors detected: Value '' at 'keyId' .*; Value '0' at 'numberOfBytes' /);
  });

  test('DryRun answers DryRunOperationException (412) after the checks pass', async () => {
    const err = await failure(kms.send(new GenerateDataKeyCommand({ KeyId: keyArn, KeySpec: 'AES_256', DryRun: true })));
    expect(err.name).toBe('DryRunOperationException');
    expect(err.$metadata.httpStatusCode).toBe(412);
  });

  test('an asymmetric algorithm on a symmetric key is InvalidKeyUsageException', async () => {
    const { blob } = await seal();
    const err = await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })));
    expect(err.name).toBe('InvalidKeyUsageException');
  });
});

describe('encryption context', () => {
  const context = { tenant: 'Acme', connection: 'c-1', purpose: 'oauth' };
  let blob: Uint8Array;
  let plaintext: Buffer;

  beforeAll(async () => {
    ({ blob, plaintext } = await seal(context));
  });

  test('the same pairs in another order decrypt', async () => {
    const out = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: 'oauth', connection: 'c-1', tenant: 'Acme' } }));
    expect(Buffer.from(out.Plaintext!).equals(plaintext)).toBe(true);
  });

  test.each([
    ['no context', undefined],
    ['an empty context', {}],
    ['one pair missing', { tenant: 'Acme', connection: 'c-1' }],
    ['one extra pair', { ...context, extra: 'x' }],
    ['a value in another case', { ...context, tenant: 'acme' }],
    ['a key in another case', { Tenant: 'Acme', connection: 'c-1', purpose: 'oauth' }],
    ['a changed value', { ...context, connection: 'c-2' }],
  ])('%s → InvalidCiphertextException', async (_, other) => {
    const err = await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: other })));
    expect(err.name).toBe('InvalidCiphertextException');
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).not.toContain(plaintext.toString('base64'));
  });

  test('no context and {} are the same (empty) context, in both directions', async () => {
    const withoutContext = await seal();
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: withoutContext.blob, EncryptionContext: {} }));
    expect(Buffer.from(back.Plaintext!).equals(withoutContext.plaintext)).toBe(true);
    const emptyContext = await seal({});
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: emptyContext.blob }))).Plaintext!).equals(emptyContext.plaintext)).toBe(true);
    const extra = await failure(kms.send(new DecryptCommand({ CiphertextBlob: withoutContext.blob, EncryptionContext: { k: 'v' } })));
    expect(extra.name).toBe('InvalidCiphertextException');
  });
});

describe('corrupt ciphertexts', () => {
  test('flipping any byte fails: InvalidCiphertextException, or NotFoundException inside the key id', async () => {
    const blob = Buffer.from((await seal()).blob);
    // Our format (local/kms/ciphertext.ts) keeps the key id in bytes 3–18; a changed id names a key that does not exist.
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob);
      bad[i] ^= 0x01;
      const err = await failure(kms.send(new DecryptCommand({ CiphertextBlob: bad })));
      expect([i, err.name]).toEqual([i, i >= 3 && i < 19 ? 'NotFoundException' : 'InvalidCiphertextException']);
    }
  });

  test('truncated, extended and foreign blobs → InvalidCiphertextException', async () => {
    const blob = Buffer.from((await seal()).blob);
    for (const bad of [blob.subarray(0, blob.length - 1), blob.subarray(0, 10), Buffer.concat([blob, Buffer.from([0])]), Buffer.from('not a kms blob at all, clearly')]) {
      expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: bad })))).name).toBe('InvalidCiphertextException');
    }
  });
});

describe('Decrypt KeyId check', () => {
  test('the encrypting key in any form works; another key → IncorrectKeyException', async () => {
    const { blob } = await seal();
    for (const ref of [keyId, keyArn, 'alias/latchkey']) {
      expect((await kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: ref }))).KeyId).toBe(keyArn);
    }
    const err = await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: 'alias/other' })));
    expect(err.name).toBe('IncorrectKeyException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});

describe('key states', () => {
  test('a disabled key refuses crypto with DisabledException (409) and works again once enabled', async () => {
    const arn = server.keyArn('alias/toggled');
    const { blob, plaintext } = await seal(undefined, arn);
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    const calls = [kms.send(new DecryptCommand({ CiphertextBlob: blob })), kms.send(new GenerateDataKeyCommand({ KeyId: arn, KeySpec: 'AES_256' }))];
    for (const call of calls) {
      const err = await failure(call);
      expect(err.name).toBe('DisabledException');
      expect(err.message).toBe(`${arn} is disabled.`);
      expect(err.$metadata.httpStatusCode).toBe(409);
    }
    await kms.send(new EnableKeyCommand({ KeyId: arn }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext!).equals(plaintext)).toBe(true);
  });
});

describe('wire protocol', () => {
  const post = (target: string | undefined, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', ...(target ? { 'x-amz-target': target } : {}) }, body });

  test.each(['Sign', 'Encrypt', 'CreateKey'])('an operation the stand-in does not offer (%s) is UnknownOperationException (400) in the awsJson error shape', async (operation) => {
    const res = await post(`TrentService.${operation}`, '{}');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({ __type: 'UnknownOperationException', message: `Unknown operation TrentService.${operation}` });
    expect((await post(undefined, '{}')).status).toBe(400);
    expect(((await (await post('AWSEvents.PutEvents', '{}')).json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });

  test('a body that is not JSON, or a field of the wrong type, is SerializationException', async () => {
    expect(await (await post('TrentService.Decrypt', '{nope')).json()).toEqual({ __type: 'SerializationException', message: 'Request body is not valid JSON' });
    const wrongType = (await (await post('TrentService.GenerateDataKey', JSON.stringify({ KeyId: 5, KeySpec: 'AES_256' }))).json()) as { __type: string };
    expect(wrongType.__type).toBe('SerializationException');
    const badBase64 = (await (await post('TrentService.Decrypt', JSON.stringify({ CiphertextBlob: '***' }))).json()) as { __type: string };
    expect(badBase64.__type).toBe('SerializationException');
  });
});
