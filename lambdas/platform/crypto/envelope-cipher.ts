import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { appendRowId, encodeAad, encodeAadPrefix, isPurpose, kmsContext, type CipherBinding, type Purpose } from './binding';
import { DataKeyCache, type CachedDataKey, type DataKeyCacheOptions } from './data-key-cache';
import { DecryptionError, decryptionErrorFromKms } from './decryption-error';
import { CURRENT_FORMAT, decodeEnvelope, encodeHeader, IV_LENGTH, TAG_LENGTH, type EnvelopeParts } from './envelope-format';
import { randomIv } from './random-iv';

export interface EnvelopeCipherOptions {
  kms: KMSClient;
  /** KMS key for new data keys: key id, key ARN, alias name or alias ARN. */
  keyId: string;
  /**
   * ARNs of other KMS keys whose envelopes may still be decrypted (e.g. the previous key after a
   * switch to a new one). Envelopes naming any other key are decrypted only if KMS confirms they
   * were made under `keyId`.
   */
  trustedKeyIds?: string[];
  cache?: DataKeyCacheOptions;
}

const DATA_KEY_BYTES = 32;
/** Tries to get a live key; more than one only when the cache evicts keys as fast as it loads them. */
const MAX_ATTEMPTS = 3;
const KEY_ARN = /^arn:aws[a-z-]*:kms:[^:]+:\d{12}:key\/.+$/;

/**
 * Envelope encryption: AES-256-GCM under a KMS data key, with the wrapped key stored in the
 * envelope (see envelope-format.ts). Data keys come from a cache, so warm calls make no KMS call;
 * every decrypt failure is a DecryptionError. Make one per process and keep it: the cache is the point.
 */
export class EnvelopeCipher {
  readonly cache: DataKeyCache;
  private readonly kms: KMSClient;
  private readonly keyId: string;
  /** Key ARNs an envelope may name and be unwrapped under directly. */
  private readonly trusted = new Set<string>();

  constructor(options: EnvelopeCipherOptions) {
    this.kms = options.kms;
    this.keyId = options.keyId;
    this.cache = new DataKeyCache(options.cache);
    if (KEY_ARN.test(options.keyId)) this.trusted.add(options.keyId);
    for (const arn of options.trustedKeyIds ?? []) {
      if (!KEY_ARN.test(arn)) throw new TypeError('trustedKeyIds must be KMS key ARNs');
      this.trusted.add(arn);
    }
  }

  async encrypt(plaintext: Uint8Array | string, binding: CipherBinding): Promise<Buffer> {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    for (let attempt = 1; ; attempt += 1) {
      const key = this.cache.takeForEncryption(binding.environmentId, binding.purpose) ?? (await this.encryptionKeyCold(binding));
      // Checked in the same tick as the use: an evicted key is zero-filled.
      if (key.live) return seal(key, bytes, binding);
      if (attempt === MAX_ATTEMPTS) throw thrashing();
    }
  }

  async decrypt(envelope: Uint8Array, binding: CipherBinding): Promise<Buffer> {
    const parts = decodeEnvelope(envelope);
    for (let attempt = 1; ; attempt += 1) {
      const key = this.cache.getForDecryption(parts.wrappedKey) ?? (await this.decryptionKeyCold(parts, binding));
      const { environmentId, purpose } = key.material;
      if (environmentId !== binding.environmentId || purpose !== binding.purpose) throw new DecryptionError('context-mismatch');
      if (key.live) return open(key, parts, binding);
      if (attempt === MAX_ATTEMPTS) throw thrashing();
    }
  }

  encryptJson(value: unknown, binding: CipherBinding): Promise<Buffer> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError('Value has no JSON representation');
    return this.encrypt(text, binding);
  }

  async decryptJson<T = unknown>(envelope: Uint8Array, binding: CipherBinding): Promise<T> {
    const bytes = await this.decrypt(envelope, binding);
    try {
      return JSON.parse(bytes.toString('utf8')) as T;
    } catch {
      // JSON.parse messages quote the input.
      throw new DecryptionError('not-json');
    } finally {
      bytes.fill(0);
    }
  }

  /**
   * Decrypts and encrypts again under a data key other than the envelope's, in the current format.
   * After a KMS key rotation call `retireDataKeys()` first so that key is also new.
   */
  async reencrypt(envelope: Uint8Array, binding: CipherBinding): Promise<Buffer> {
    const old = decodeEnvelope(envelope);
    const plaintext = await this.decrypt(envelope, binding);
    try {
      for (let attempt = 1; ; attempt += 1) {
        const key = this.cache.takeForEncryption(binding.environmentId, binding.purpose) ?? (await this.encryptionKeyCold(binding));
        if (key.material.wrappedKey.equals(old.wrappedKey)) this.cache.retire(key);
        else if (key.live) return seal(key, plaintext, binding);
        if (attempt === MAX_ATTEMPTS) throw thrashing();
      }
    } finally {
      plaintext.fill(0);
    }
  }

  /** True when the envelope is in an older format than the one `encrypt` writes. */
  isOutdated(envelope: Uint8Array): boolean {
    return decodeEnvelope(envelope).version < CURRENT_FORMAT;
  }

  /** New encryptions use new data keys from now on (cached keys stay for decryption). */
  retireDataKeys(): void {
    this.cache.retireAllForEncryption();
  }

  /**
   * A cache miss: one GenerateDataKey shared by concurrent callers. A caller that loses the race
   * for the shared key (used up or evicted before it ran) gets a key of its own, so this ends.
   */
  private async encryptionKeyCold(binding: CipherBinding): Promise<CachedDataKey> {
    assertBinding(binding);
    const { environmentId, purpose } = binding;
    await this.cache.coalesce(slotId('e', environmentId, purpose), () => this.generate(environmentId, purpose, false));
    return this.cache.takeForEncryption(environmentId, purpose) ?? this.generate(environmentId, purpose, true);
  }

  /** `takeFirst`: count the first message in the same tick as the store, so no one else gets it first. */
  private async generate(environmentId: string, purpose: Purpose, takeFirst: boolean): Promise<CachedDataKey> {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: kmsContext(environmentId, purpose) }),
    );
    const plaintext = out.Plaintext;
    if (!plaintext || plaintext.length !== DATA_KEY_BYTES || !out.CiphertextBlob || !out.KeyId) {
      plaintext?.fill(0);
      throw new Error('KMS GenerateDataKey returned an incomplete response');
    }
    this.trusted.add(out.KeyId);
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    const wrappedKey = Buffer.from(out.CiphertextBlob);
    const keyId = Buffer.from(out.KeyId, 'utf8');
    const entry = this.cache.putForEncryption({ key, wrappedKey, keyId, environmentId, purpose, header: encodeHeader(keyId, wrappedKey) });
    return takeFirst ? (this.cache.takeForEncryption(environmentId, purpose) ?? entry) : entry;
  }

  /** A cache miss: one KMS Decrypt shared by concurrent callers with the same wrapped key and context. */
  private async decryptionKeyCold(parts: EnvelopeParts, binding: CipherBinding): Promise<CachedDataKey> {
    assertBinding(binding);
    const id = slotId('d', binding.environmentId, binding.purpose) + parts.wrappedKey.toString('latin1');
    const entry = await this.cache.coalesce(id, () => this.unwrap(parts, binding.environmentId, binding.purpose));
    return entry.live ? entry : this.unwrap(parts, binding.environmentId, binding.purpose);
  }

  private async unwrap(parts: EnvelopeParts, environmentId: string, purpose: Purpose): Promise<CachedDataKey> {
    const claimedKeyId = parts.keyId.toString('utf8');
    let out;
    try {
      out = await this.kms.send(
        new DecryptCommand({
          CiphertextBlob: parts.wrappedKey,
          EncryptionContext: kmsContext(environmentId, purpose),
          // Strict: KMS itself refuses a wrapped key made under any other key.
          KeyId: this.trusted.has(claimedKeyId) ? claimedKeyId : this.keyId,
        }),
      );
    } catch (err) {
      throw decryptionErrorFromKms(err) ?? err;
    }
    const plaintext = out.Plaintext;
    if (out.KeyId !== claimedKeyId || !plaintext || plaintext.length !== DATA_KEY_BYTES) {
      plaintext?.fill(0);
      throw new DecryptionError(out.KeyId !== claimedKeyId ? 'wrong-key' : 'malformed');
    }
    this.trusted.add(out.KeyId);
    const key = Buffer.from(plaintext);
    plaintext.fill(0);
    return this.cache.putForDecryption({
      key,
      wrappedKey: Buffer.from(parts.wrappedKey),
      keyId: Buffer.from(parts.keyId),
      environmentId,
      purpose,
    });
  }
}

function thrashing(): Error {
  return new Error('Data keys were evicted before they could be used; raise the data key cache capacity');
}

/** Unambiguous: purposes contain no ':' and the environment id is length-prefixed. */
function slotId(kind: 'e' | 'd', environmentId: string, purpose: Purpose): string {
  return `${kind}:${purpose}:${environmentId.length}:${environmentId}:`;
}

/** Checks a binding before it reaches KMS (the warm path checks it while encoding the AAD). */
function assertBinding(binding: CipherBinding): void {
  if (!isPurpose(binding.purpose)) throw new TypeError('Cipher binding purpose is not a known purpose');
  encodeAad(CURRENT_FORMAT, Buffer.alloc(0), binding);
}

/**
 * AAD for a binding whose environment and purpose are the key's own (checked by the caller, or
 * given by the encryption slot): the column's prefix is cached on the key.
 */
function aadFor(key: CachedDataKey, binding: CipherBinding): Buffer {
  if (binding.environmentId !== key.material.environmentId || binding.purpose !== key.material.purpose) {
    throw new Error('A data key was used outside its environment and purpose');
  }
  const prefix = key.aadPrefix(binding.table, binding.field, () => encodeAadPrefix(CURRENT_FORMAT, key.material.keyId, binding));
  return appendRowId(prefix, binding.rowId);
}

function seal(key: CachedDataKey, plaintext: Uint8Array, binding: CipherBinding): Buffer {
  const { header } = key.material;
  const aad = aadFor(key, binding);
  const h = header!.length;
  const out = Buffer.allocUnsafe(h + IV_LENGTH + plaintext.length + TAG_LENGTH);
  header!.copy(out, 0);
  const iv = randomIv(out, h);
  const cipher = createCipheriv('aes-256-gcm', key.material.key, iv, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  // GCM is a stream mode: update returns every byte and final none.
  if (body.length !== plaintext.length || cipher.final().length !== 0) throw new Error('AES-GCM produced an unexpected length');
  body.copy(out, h + IV_LENGTH);
  cipher.getAuthTag().copy(out, h + IV_LENGTH + plaintext.length);
  return out;
}

function open(key: CachedDataKey, parts: EnvelopeParts, binding: CipherBinding): Buffer {
  // The cached prefix holds the key's own id; an envelope naming another id is encoded as it is.
  const own = parts.version === CURRENT_FORMAT && parts.keyId.equals(key.material.keyId);
  const aad = own ? aadFor(key, binding) : encodeAad(parts.version, parts.keyId, binding);
  const decipher = createDecipheriv('aes-256-gcm', key.material.key, parts.iv, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(parts.tag);
  decipher.setAAD(aad);
  const plaintext = decipher.update(parts.ciphertext);
  try {
    decipher.final();
  } catch {
    // Unauthenticated output must not escape.
    plaintext.fill(0);
    throw new DecryptionError('authentication-failed');
  }
  return plaintext;
}
