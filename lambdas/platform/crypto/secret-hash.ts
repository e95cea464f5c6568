import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SqlExecutor } from '../db/data-api';
import { insertWrappedKey, readWrappedKey } from './deployment-key-store';

const PURPOSE = 'secret-hash-pepper';
const CONTEXT = { environment: 'deployment', purpose: PURPOSE };
const PEPPER_BYTES = 32;

/**
 * Secret keys and connect-session tokens are stored only as HMAC-SHA256 under a server-side pepper.
 * The pepper is a KMS data key kept wrapped in `deployment_keys`: a stolen database dump alone
 * cannot be used to test guessed keys. Loading costs one statement and one KMS Decrypt per cold
 * start (the loader that creates the pepper uses the key it generated); hashing is free afterwards.
 */
export class SecretHasher {
  private constructor(private readonly pepper: Buffer) {}

  static async load(db: SqlExecutor, kms: KMSClient, kmsKeyId: string): Promise<SecretHasher> {
    const existing = await readWrappedKey(db, PURPOSE);
    if (existing) return new SecretHasher(await unwrap(kms, existing));

    const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: kmsKeyId, KeySpec: 'AES_256', EncryptionContext: CONTEXT }));
    const fresh = pepperFrom(generated.Plaintext);
    const wrapped = generated.CiphertextBlob;
    if (!wrapped) throw new Error('KMS returned no ciphertext for the secret-hash pepper');
    // Two cold starts may race to create it: the first insert wins and both use the stored one.
    const stored = await insertWrappedKey(db, PURPOSE, wrapped);
    if (Buffer.from(wrapped).equals(stored)) return new SecretHasher(fresh);
    fresh.fill(0);
    return new SecretHasher(await unwrap(kms, stored));
  }

  hash(secret: string): Buffer {
    return createHmac('sha256', this.pepper).update(secret, 'utf8').digest();
  }

  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: string, storedHash: Uint8Array): boolean {
    const candidate = this.hash(secret);
    return storedHash.length === candidate.length && timingSafeEqual(candidate, storedHash);
  }
}

async function unwrap(kms: KMSClient, wrapped: Uint8Array): Promise<Buffer> {
  const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: wrapped, EncryptionContext: CONTEXT }));
  return pepperFrom(Plaintext);
}

/** Our own copy of the key; the SDK's buffer is zeroed. */
function pepperFrom(plaintext: Uint8Array | undefined): Buffer {
  if (!plaintext || plaintext.length !== PEPPER_BYTES) {
    plaintext?.fill(0);
    throw new Error('KMS returned no usable plaintext for the secret-hash pepper');
  }
  const pepper = Buffer.from(plaintext);
  plaintext.fill(0);
  return pepper;
}
