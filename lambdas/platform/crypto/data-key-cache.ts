import { systemClock, type Clock } from '../clock';
import type { Purpose } from './binding';

/**
 * In-memory cache of unwrapped data keys, after the AWS Encryption SDK's caching materials manager:
 * entries are bounded by age, by messages encrypted and by an LRU capacity, and the plaintext key
 * lives only here (zero-filled when it leaves). One cache belongs to one cipher, i.e. one KMS key.
 *
 * - Encryption: one current key per (environment, purpose), reused until it is too old or has
 *   encrypted `maxMessages` messages.
 * - Decryption: keys by wrapped-key bytes. Keys generated here are stored there too, so reading
 *   back what this process wrote needs no KMS call.
 * - Concurrent misses for the same key share one load (`coalesce`).
 */

export interface DataKeyCacheOptions {
  /** A key is neither used nor kept after this many ms. Default 5 minutes. */
  maxAgeMs?: number;
  /** Messages one data key may encrypt (1 .. 2^32, the random-IV limit for GCM). Default 10,000. */
  maxMessages?: number;
  /** Keys held at most; the least recently used goes first. Default 1,000. */
  capacity?: number;
  clock?: Clock;
}

export const DATA_KEY_CACHE_DEFAULTS = { maxAgeMs: 5 * 60_000, maxMessages: 10_000, capacity: 1_000 } as const;

const MAX_MESSAGES_LIMIT = 2 ** 32;

export interface DataKeyMaterial {
  /** 32 bytes; the cache owns this buffer from now on and zero-fills it on eviction. */
  key: Buffer;
  wrappedKey: Buffer;
  /** KMS key ARN as UTF-8 bytes. */
  keyId: Buffer;
  environmentId: string;
  purpose: Purpose;
  /** Envelope header for keys used to encrypt (version, key id, wrapped key). */
  header?: Buffer;
}

const MAX_AAD_PREFIXES = 256;

export class CachedDataKey {
  /** Messages encrypted so far. */
  messages = 0;
  /** False once evicted: the key bytes are zero then and must not be used. */
  live = true;
  /** AAD prefixes by table, then field (see binding.ts): encoding them each call costs ~6% of a 1 KB pair. */
  private readonly aadPrefixes = new Map<string, Map<string, Buffer>>();
  private aadPrefixCount = 0;

  constructor(
    readonly material: DataKeyMaterial,
    readonly id: string,
    readonly createdAt: number,
  ) {}

  /** The cached prefix for a column, or `build()`'s, kept unless too many columns were seen. */
  aadPrefix(table: string, field: string, build: () => Buffer): Buffer {
    let byField = this.aadPrefixes.get(table);
    let prefix = byField?.get(field);
    if (prefix) return prefix;
    prefix = build();
    if (this.aadPrefixCount < MAX_AAD_PREFIXES) {
      if (!byField) this.aadPrefixes.set(table, (byField = new Map()));
      byField.set(field, prefix);
      this.aadPrefixCount += 1;
    }
    return prefix;
  }
}

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new RangeError(`Data key cache ${name} must be an integer from 1 to ${max}`);
  return value;
}

export class DataKeyCache {
  readonly maxAgeMs: number;
  readonly maxMessages: number;
  readonly capacity: number;
  private readonly clock: Clock;
  /** Every cached key by wrapped-key bytes (latin1: one char per byte), least recently used first. */
  private readonly byWrappedKey = new Map<string, CachedDataKey>();
  /** The current encryption key per purpose, then environment. */
  private readonly forEncryption = new Map<Purpose, Map<string, CachedDataKey>>();
  private readonly inFlight = new Map<string, Promise<CachedDataKey>>();

  constructor(options: DataKeyCacheOptions = {}) {
    this.maxAgeMs = positiveInteger('maxAgeMs', options.maxAgeMs ?? DATA_KEY_CACHE_DEFAULTS.maxAgeMs);
    this.maxMessages = positiveInteger('maxMessages', options.maxMessages ?? DATA_KEY_CACHE_DEFAULTS.maxMessages, MAX_MESSAGES_LIMIT);
    this.capacity = positiveInteger('capacity', options.capacity ?? DATA_KEY_CACHE_DEFAULTS.capacity);
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.byWrappedKey.size;
  }

  /** The slot's key with one more message counted, or undefined (none, too old, used up). */
  takeForEncryption(environmentId: string, purpose: Purpose): CachedDataKey | undefined {
    const entry = this.forEncryption.get(purpose)?.get(environmentId);
    if (!entry) return undefined;
    if (!entry.live || this.isExpired(entry)) {
      this.evict(entry);
      return undefined;
    }
    entry.messages += 1;
    // Used up: later encryptions get a new key; this one stays for decryption.
    if (entry.messages >= this.maxMessages) this.retire(entry);
    this.touch(entry);
    return entry;
  }

  /** Stores a key generated for encryption as its slot's current key (and for decryption). */
  putForEncryption(material: DataKeyMaterial): CachedDataKey {
    if (!material.header) throw new TypeError('An encryption key needs its envelope header');
    const entry = this.put(material);
    let slots = this.forEncryption.get(material.purpose);
    if (!slots) this.forEncryption.set(material.purpose, (slots = new Map()));
    // A previous key of the slot stays cached for decryption.
    slots.set(material.environmentId, entry);
    return entry;
  }

  /** A live key unwrapped from `wrappedKey`, or undefined. The caller checks its context. */
  getForDecryption(wrappedKey: Buffer): CachedDataKey | undefined {
    const entry = this.byWrappedKey.get(wrappedKey.toString('latin1'));
    if (!entry) return undefined;
    if (!entry.live || this.isExpired(entry)) {
      this.evict(entry);
      return undefined;
    }
    this.touch(entry);
    return entry;
  }

  putForDecryption(material: DataKeyMaterial): CachedDataKey {
    return this.put(material);
  }

  /** Stops using `entry` for new encryptions (it stays for decryption). */
  retire(entry: CachedDataKey): void {
    const slots = this.forEncryption.get(entry.material.purpose);
    if (slots?.get(entry.material.environmentId) === entry) slots.delete(entry.material.environmentId);
  }

  /** Every later encryption gets a new data key, e.g. after a KMS key rotation. */
  retireAllForEncryption(): void {
    this.forEncryption.clear();
  }

  /** Runs `load` once for concurrent callers asking for the same `id`. */
  coalesce(id: string, load: () => Promise<CachedDataKey>): Promise<CachedDataKey> {
    let pending = this.inFlight.get(id);
    if (!pending) {
      pending = load().finally(() => this.inFlight.delete(id));
      this.inFlight.set(id, pending);
    }
    return pending;
  }

  /** Drops (and zero-fills) every expired key; returns how many. */
  evictExpired(): number {
    let evicted = 0;
    for (const entry of this.byWrappedKey.values()) {
      if (this.isExpired(entry)) {
        this.evict(entry);
        evicted += 1;
      }
    }
    return evicted;
  }

  /** Drops and zero-fills everything. */
  clear(): void {
    for (const entry of this.byWrappedKey.values()) this.evict(entry);
    this.forEncryption.clear();
  }

  private put(material: DataKeyMaterial): CachedDataKey {
    const id = material.wrappedKey.toString('latin1');
    const existing = this.byWrappedKey.get(id);
    if (existing?.live && !this.isExpired(existing) && (existing.material.header || !material.header)) {
      // Unwrapped twice (two loads raced): keep the one already shared.
      material.key.fill(0);
      this.touch(existing);
      return existing;
    }
    if (existing) this.evict(existing);
    this.evictExpired();
    const entry = new CachedDataKey(material, id, this.clock().getTime());
    this.byWrappedKey.set(id, entry);
    while (this.byWrappedKey.size > this.capacity) {
      const oldest = this.byWrappedKey.values().next().value as CachedDataKey;
      this.evict(oldest);
    }
    return entry;
  }

  private isExpired(entry: CachedDataKey): boolean {
    return this.clock().getTime() - entry.createdAt >= this.maxAgeMs;
  }

  private touch(entry: CachedDataKey): void {
    this.byWrappedKey.delete(entry.id);
    this.byWrappedKey.set(entry.id, entry);
  }

  private evict(entry: CachedDataKey): void {
    if (this.byWrappedKey.get(entry.id) === entry) this.byWrappedKey.delete(entry.id);
    this.retire(entry);
    if (entry.live) {
      entry.live = false;
      entry.material.key.fill(0);
    }
  }
}
