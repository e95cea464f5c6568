import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../aws-http';
import { Validator, type AwsJsonHandler, type JsonObject } from '../aws-json';
import { InvalidBlobError, openBlob, readBlobHeader, sealBlob } from './ciphertext';
import type { KeyRecord, KeyStore } from './key-store';

/**
 * GenerateDataKey and Decrypt, the two operations the functions call (lambdas/platform/crypto).
 * Order inside each: validate the request, resolve keys, check key state, then do the work, so
 * the error a caller sees is the one AWS would give first. No message ever carries plaintext.
 */

const KEY_ID = { min: 1, max: 2048 } as const;
const ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'] as const;
const SYMMETRIC = 'SYMMETRIC_DEFAULT';

function invalidCiphertext(): AwsServiceError {
  return new AwsServiceError(
    'InvalidCiphertextException',
    'The ciphertext is invalid, was not produced by this KMS, or the encryption context does not match.',
    400,
  );
}

/** Symmetric keys only know SYMMETRIC_DEFAULT; an RSA/SM2 algorithm is a key-usage error in AWS. */
function checkAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== SYMMETRIC) {
    throw new AwsServiceError('InvalidKeyUsageException', `The encryption algorithm ${algorithm} is not valid for a symmetric encryption KMS key.`, 400);
  }
}

function checkDryRun(dryRun: boolean | undefined): void {
  if (dryRun) throw new AwsServiceError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.', 412);
}

/** Nitro Enclaves attestation cannot be emulated; refuse rather than silently ignore it. */
function refuseRecipient(input: JsonObject): void {
  if (input.Recipient !== undefined && input.Recipient !== null) {
    throw new AwsServiceError('UnsupportedOperationException', 'Recipient (Nitro Enclaves attestation) is not supported by the local KMS stand-in.', 400);
  }
}

export function cryptoOperations(store: KeyStore): Record<string, AwsJsonHandler> {
  const arn = (key: KeyRecord) => store.keyArn(key.id);

  function encryptUnder(key: KeyRecord, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
    const { version, material } = store.latestMaterial(key);
    return sealBlob(plaintext, key.id, version, material, context);
  }

  /** Finds the key a blob names, checks an optional expected key, and authenticates the blob. */
  function decryptBlob(blob: Buffer, expectedKeyRef: string | undefined, context: Record<string, string> | undefined) {
    let header;
    try {
      header = readBlobHeader(blob);
    } catch (err) {
      if (err instanceof InvalidBlobError) throw invalidCiphertext();
      throw err;
    }
    const key = store.byId(header.keyId);
    if (expectedKeyRef !== undefined && store.resolve(expectedKeyRef).id !== key.id) {
      throw new AwsServiceError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.', 400);
    }
    store.requireEnabled(key);
    const material = store.materialAt(key, header.version);
    if (!material) throw invalidCiphertext();
    try {
      return { key, plaintext: openBlob(blob, material, context) };
    } catch (err) {
      if (err instanceof InvalidBlobError) throw invalidCiphertext();
      throw err;
    }
  }

  function generateDataKey(input: JsonObject) {
    const v = new Validator(input);
    const keyId = v.string('KeyId', { required: true, ...KEY_ID });
    const keySpec = v.string('KeySpec', { enum: ['AES_256', 'AES_128'] });
    const numberOfBytes = v.integer('NumberOfBytes', { min: 1, max: 1024 });
    const context = v.stringMap('EncryptionContext');
    const dryRun = v.boolean('DryRun');
    if (keySpec !== undefined && numberOfBytes !== undefined) v.failRaw('Please specify either NumberOfBytes or KeySpec, not both.');
    if (keySpec === undefined && numberOfBytes === undefined) v.failRaw('Please specify either NumberOfBytes or KeySpec.');
    v.done();
    refuseRecipient(input);
    const key = store.resolve(keyId!);
    store.requireEnabled(key);
    checkDryRun(dryRun);
    const dataKey = randomBytes(numberOfBytes ?? (keySpec === 'AES_128' ? 16 : 32));
    const blob = encryptUnder(key, dataKey, context);
    return { CiphertextBlob: blob.toString('base64'), Plaintext: dataKey.toString('base64'), KeyId: arn(key) };
  }

  return {
    GenerateDataKey: generateDataKey,

    Decrypt(input) {
      const v = new Validator(input);
      const blob = v.blob('CiphertextBlob', { required: true, min: 1, max: 6144 });
      const keyId = v.string('KeyId', KEY_ID);
      const context = v.stringMap('EncryptionContext');
      const algorithm = v.string('EncryptionAlgorithm', { enum: ALGORITHMS });
      const dryRun = v.boolean('DryRun');
      v.done();
      refuseRecipient(input);
      checkAlgorithm(algorithm);
      const { key, plaintext } = decryptBlob(blob!, keyId, context);
      checkDryRun(dryRun);
      return { KeyId: arn(key), Plaintext: plaintext.toString('base64'), EncryptionAlgorithm: SYMMETRIC };
    },
  };
}
