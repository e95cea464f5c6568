import { randomBytes } from 'node:crypto';
import { DataKeyCache, type DataKeyMaterial } from '../../../../lambdas/platform/crypto/data-key-cache';
import type { Purpose } from '../../../../lambdas/platform/crypto/binding';
import { manualClock } from './kms-fixture';

const ENV_A = 'env-a';
const ENV_B = 'env-b';

function material(environmentId = ENV_A, purpose: Purpose = 'connection-credentials'): DataKeyMaterial {
  const wrappedKey = randomBytes(48);
  return { key: randomBytes(32), wrappedKey, keyId: Buffer.from('arn:aws:kms:us-east-1:000000000000:key/k'), environmentId, purpose, header: Buffer.from([1]) };
}

describe('DataKeyCache', () => {
  test('defaults: 5 minutes, 10 000 messages, 1 000 entries', () => {
    const cache = new DataKeyCache();
    expect({ maxAgeMs: cache.maxAgeMs, maxMessages: cache.maxMessages, capacity: cache.capacity }).toEqual({
      maxAgeMs: 300_000,
      maxMessages: 10_000,
      capacity: 1_000,
    });
  });

  test.each([
    { maxAgeMs: 0 },
    { maxMessages: 0 },
    { maxMessages: 2 ** 32 + 1 },
    { capacity: 0 },
    { capacity: 1.5 },
  ])('refuses the limit %p', (options) => {
    const [name] = Object.keys(options);
    expect(() => new DataKeyCache(options)).toThrow(new RangeError(`Data key cache ${name} must be an integer from 1 to ${name === 'maxMessages' ? 2 ** 32 : Number.MAX_SAFE_INTEGER}`));
  });

  test('accepts the largest limits: 2^32 messages per key (the random-IV bound for GCM)', () => {
    expect(new DataKeyCache({ maxMessages: 2 ** 32 }).maxMessages).toBe(2 ** 32);
  });

  test('an encryption key without its envelope header is refused', () => {
    const { header: _none, ...bare } = material();
    expect(() => new DataKeyCache().putForEncryption(bare)).toThrow(new TypeError('An encryption key needs its envelope header'));
  });

  test('keys of one purpose in two environments each keep their slot', () => {
    const cache = new DataKeyCache();
    const a = cache.putForEncryption(material(ENV_A));
    const b = cache.putForEncryption(material(ENV_B));
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBe(a);
    expect(cache.takeForEncryption(ENV_B, 'connection-credentials')).toBe(b);
  });

  test('a key unwrapped for decryption is replaced, and zeroed, when the same wrapped key is stored for encryption', () => {
    const cache = new DataKeyCache();
    const m = material();
    const { header, ...decryptOnly } = m;
    const first = cache.putForDecryption({ ...decryptOnly, key: Buffer.from(m.key) });
    const second = cache.putForEncryption({ ...m, header });
    expect(second).not.toBe(first);
    expect(second.material.header).toBe(header);
    expect([first.live, first.material.key.equals(Buffer.alloc(32))]).toEqual([false, true]);
    expect(cache.getForDecryption(m.wrappedKey)).toBe(second);
    expect(cache.size).toBe(1);
  });

  test('an expired key stored again is a new entry; the old one is zeroed', () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxAgeMs: 1_000, clock });
    const m = material();
    const first = cache.putForDecryption({ ...m, key: Buffer.from(m.key) });
    clock.advance(1_000);
    const second = cache.putForDecryption(m);
    expect(second).not.toBe(first);
    expect([first.live, second.live]).toEqual([false, true]);
    expect(cache.getForDecryption(m.wrappedKey)).toBe(second);
  });

  test('evictExpired counts what it drops', () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxAgeMs: 1_000, clock });
    cache.putForDecryption(material());
    cache.putForDecryption(material(ENV_B));
    clock.advance(500);
    const young = cache.putForDecryption(material());
    clock.advance(500);
    expect(cache.evictExpired()).toBe(2);
    expect([cache.size, young.live]).toEqual([1, true]);
  });

  test('a decryption key past its age is not handed out, and is zeroed', () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxAgeMs: 1_000, clock });
    const m = material();
    const entry = cache.putForDecryption(m);
    clock.advance(1_000);
    expect(cache.getForDecryption(m.wrappedKey)).toBeUndefined();
    expect([entry.live, m.key.equals(Buffer.alloc(32)), cache.size]).toEqual([false, true, 0]);
  });

  test('an encryption key serves its (environment, purpose) slot only and is also a decryption key', () => {
    const cache = new DataKeyCache();
    const m = material();
    const entry = cache.putForEncryption(m);
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBe(entry);
    expect(cache.takeForEncryption(ENV_B, 'connection-credentials')).toBeUndefined();
    expect(cache.takeForEncryption(ENV_A, 'integration-secret')).toBeUndefined();
    expect(cache.getForDecryption(Buffer.from(m.wrappedKey))).toBe(entry);
    expect(entry.messages).toBe(1);
  });

  test('max messages: a key encrypts exactly maxMessages messages, then stays for decryption only', () => {
    const cache = new DataKeyCache({ maxMessages: 3 });
    const m = material();
    const entry = cache.putForEncryption(m);
    const taken = [1, 2, 3, 4].map(() => cache.takeForEncryption(ENV_A, 'connection-credentials'));
    expect(taken).toEqual([entry, entry, entry, undefined]);
    expect(cache.getForDecryption(m.wrappedKey)).toBe(entry);
    expect(entry.live).toBe(true);
  });

  test('max age: an expired key is neither used nor kept, and its bytes are zeroed', () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxAgeMs: 1_000, clock });
    const m = material();
    const keyBytes = m.key;
    const entry = cache.putForEncryption(m);
    clock.advance(999);
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBe(entry);
    expect(cache.getForDecryption(m.wrappedKey)).toBe(entry);
    clock.advance(1);
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBeUndefined();
    expect(cache.getForDecryption(m.wrappedKey)).toBeUndefined();
    expect(entry.live).toBe(false);
    expect(keyBytes.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(0);
  });

  test('expired keys are purged when a new key is stored, untouched ones included', () => {
    const clock = manualClock();
    const cache = new DataKeyCache({ maxAgeMs: 1_000, clock });
    const old = [material(), material(ENV_B)].map((m) => cache.putForDecryption(m));
    clock.advance(1_000);
    cache.putForDecryption(material());
    expect(cache.size).toBe(1);
    expect(old.map((e) => [e.live, e.material.key.equals(Buffer.alloc(32))])).toEqual([
      [false, true],
      [false, true],
    ]);
  });

  test('LRU: the least recently used key is evicted (and zeroed) when capacity is exceeded', () => {
    const cache = new DataKeyCache({ capacity: 2 });
    const [a, b, c] = [material(), material(), material()];
    const ea = cache.putForDecryption(a);
    const eb = cache.putForDecryption(b);
    expect(cache.getForDecryption(a.wrappedKey)).toBe(ea); // a is now the most recent
    cache.putForDecryption(c);
    expect(cache.size).toBe(2);
    expect(cache.getForDecryption(b.wrappedKey)).toBeUndefined();
    expect(eb.live).toBe(false);
    expect(b.key.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.getForDecryption(a.wrappedKey)).toBe(ea);
  });

  test('an evicted encryption key leaves its slot too', () => {
    const cache = new DataKeyCache({ capacity: 1 });
    cache.putForEncryption(material(ENV_A));
    const kept = cache.putForEncryption(material(ENV_B));
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBeUndefined();
    expect(cache.takeForEncryption(ENV_B, 'connection-credentials')).toBe(kept);
  });

  test('retireAllForEncryption keeps keys for decryption but gives out none for encryption', () => {
    const cache = new DataKeyCache();
    const m = material();
    const entry = cache.putForEncryption(m);
    cache.retireAllForEncryption();
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBeUndefined();
    expect(cache.getForDecryption(m.wrappedKey)).toBe(entry);
  });

  test('storing a wrapped key twice keeps the first entry and zeroes the duplicate', () => {
    const cache = new DataKeyCache();
    const m = material();
    const first = cache.putForDecryption(m);
    const dup = { ...m, key: Buffer.from(m.key) };
    expect(cache.putForDecryption(dup)).toBe(first);
    expect(dup.key.equals(Buffer.alloc(32))).toBe(true);
    expect(first.material.key.equals(Buffer.alloc(32))).toBe(false);
  });

  test('clear zeroes every key', () => {
    const cache = new DataKeyCache();
    const ms = [material(), material(ENV_B)];
    ms.forEach((m) => cache.putForEncryption(m));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(ms.every((m) => m.key.equals(Buffer.alloc(32)))).toBe(true);
    expect(cache.takeForEncryption(ENV_A, 'connection-credentials')).toBeUndefined();
  });

  test('AAD prefixes are built once per (table, field) and key, and at most 256 are kept', () => {
    const entry = new DataKeyCache().putForDecryption(material());
    let builds = 0;
    const build = () => (builds += 1, Buffer.from([builds]));
    expect(entry.aadPrefix('t', 'f', build)).toEqual(Buffer.from([1]));
    expect(entry.aadPrefix('t', 'f', build)).toEqual(Buffer.from([1]));
    expect(entry.aadPrefix('t', 'g', build)).toEqual(Buffer.from([2]));
    for (let i = 0; i < 300; i += 1) entry.aadPrefix('many', String(i), build);
    expect(builds).toBe(302);
    entry.aadPrefix('many', '299', build);
    entry.aadPrefix('many', '253', build);
    expect(builds).toBe(303);
    // The 256th kept prefix is the last one: the 257th column is built again each time.
    entry.aadPrefix('many', '254', build);
    expect(builds).toBe(304);
    // A second field of a table did not replace the first one's prefix.
    expect(entry.aadPrefix('t', 'f', build)).toEqual(Buffer.from([1]));
    expect(builds).toBe(304);
  });

  test('coalesce: concurrent loads of one id run once; a failed load is not cached', async () => {
    const cache = new DataKeyCache();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return cache.putForDecryption(material());
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => cache.coalesce('x', load)));
    expect(loads).toBe(1);
    expect(new Set(results).size).toBe(1);
    await cache.coalesce('y', load);
    expect(loads).toBe(2);
    const failing = () => Promise.reject(new Error('boom'));
    await expect(Promise.all([cache.coalesce('z', failing), cache.coalesce('z', failing)])).rejects.toThrow('boom');
    await expect(cache.coalesce('z', load)).resolves.toBeDefined();
    expect(loads).toBe(3);
  });
});
