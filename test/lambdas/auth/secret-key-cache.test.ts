import { database, secretHasher } from '../../support/handles';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { SECRET_KEY_CACHE_MAX_ENTRIES, SECRET_KEY_CACHE_TTL_MS, SecretKeyCache } from '../../../lambdas/auth/secret-key-cache';
import type { SecretKeyPrincipal } from '../../../lambdas/auth/principal';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** The secret-key cache, as of an injected clock: 30 s trust, bounded size, and what another container sees. */

const T0 = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const hash = (n: number) => Buffer.from(`hash-${n}`);
const principal = (n: number): SecretKeyPrincipal => ({ kind: 'secret_key', keyId: `key-${n}`, environmentId: 'env', environmentName: 'dev', scopes: ['environment:*'] });

describe('SecretKeyCache', () => {
  test('an entry is trusted for exactly 30 s after it was verified', () => {
    expect(SECRET_KEY_CACHE_TTL_MS).toBe(30_000);
    const cache = new SecretKeyCache();
    cache.set(hash(1), principal(1), T0);
    expect(cache.get(hash(1), T0)).toEqual(principal(1));
    expect(cache.get(hash(1), at(29_999))).toEqual(principal(1));
    expect(cache.get(hash(1), at(30_000))).toBeUndefined();
    // Expired entries are dropped, not revived by an earlier clock.
    expect(cache.get(hash(1), T0)).toBeUndefined();
  });

  test('a re-verified key gets a fresh 30 s; other keys keep their own expiry', () => {
    const cache = new SecretKeyCache(1_000);
    cache.set(hash(1), principal(1), T0);
    cache.set(hash(2), principal(2), at(500));
    cache.set(hash(1), principal(1), at(900));
    expect(cache.get(hash(1), at(1_899))).toEqual(principal(1));
    expect(cache.get(hash(2), at(1_499))).toEqual(principal(2));
    expect(cache.get(hash(2), at(1_500))).toBeUndefined();
    expect(cache.get(hash(1), at(1_900))).toBeUndefined();
  });

  test('at capacity the oldest entry is evicted, and only it', () => {
    expect(SECRET_KEY_CACHE_MAX_ENTRIES).toBe(1_000);
    const cache = new SecretKeyCache(SECRET_KEY_CACHE_TTL_MS, 3);
    for (const n of [1, 2, 3]) cache.set(hash(n), principal(n), T0);
    for (const n of [1, 2, 3]) expect(cache.get(hash(n), T0)).toEqual(principal(n));
    cache.set(hash(4), principal(4), T0);
    expect(cache.get(hash(1), T0)).toBeUndefined();
    for (const n of [2, 3, 4]) expect(cache.get(hash(n), T0)).toEqual(principal(n));
    cache.set(hash(5), principal(5), T0);
    expect(cache.get(hash(2), T0)).toBeUndefined();
    for (const n of [3, 4, 5]) expect(cache.get(hash(n), T0)).toEqual(principal(n));
  });

  test('the default capacity holds 1,000 keys; the first one verified goes first', () => {
    const cache = new SecretKeyCache();
    for (let n = 0; n < SECRET_KEY_CACHE_MAX_ENTRIES; n++) cache.set(hash(n), principal(n), T0);
    expect(cache.get(hash(0), T0)).toEqual(principal(0));
    cache.set(hash(-1), principal(-1), T0);
    expect(cache.get(hash(0), T0)).toBeUndefined();
    expect(cache.get(hash(1), T0)).toEqual(principal(1));
    expect(cache.get(hash(SECRET_KEY_CACHE_MAX_ENTRIES - 1), T0)).toEqual(principal(SECRET_KEY_CACHE_MAX_ENTRIES - 1));
    expect(cache.get(hash(-1), T0)).toEqual(principal(-1));
  });

  test('clear forgets every entry', () => {
    const cache = new SecretKeyCache();
    cache.set(hash(1), principal(1), T0);
    cache.clear();
    expect(cache.get(hash(1), T0)).toBeUndefined();
  });
});

describe('revocation across containers', () => {
  let t: TestStack;
  beforeAll(async () => (t = await startTestStack()));
  afterAll(async () => t?.stop());

  /** A fresh copy of the auth module: its own key cache, like another Lambda container. */
  function container(): typeof import('../../../lambdas/http/authenticate') {
    let loaded!: typeof import('../../../lambdas/http/authenticate');
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh module copy needs require inside isolateModules
      loaded = require('../../../lambdas/http/authenticate') as typeof import('../../../lambdas/http/authenticate');
    });
    return loaded;
  }
  const event = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, multiValueHeaders: {}, queryStringParameters: null }) as unknown as APIGatewayProxyEvent;
  async function refusal(promise: Promise<unknown>): Promise<unknown> {
    const error = await promise.then(() => undefined, (e: unknown) => e);
    // The isolated module's ApiError is its own class: compare the fields.
    const { statusCode, code } = (error ?? {}) as { statusCode?: number; code?: string };
    return { status: statusCode, code };
  }

  test('a key revoked by one container is refused by another once its cached verification is 30 s old', async () => {
    const created = await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'other-container' } });
    expect(created.status).toBe(201);
    const { id, secret } = ((await created.json()) as { data: { id: string; secret: string } }).data;
    t.secrets.register(secret);
    const other = container();
    const warm = await other.authenticate(database(), secretHasher, event(secret), 'secret_key', T0);
    expect(warm).toMatchObject({ kind: 'secret_key', keyId: id });

    // Revoked through the API: a different container (the stack's function) forgets its own cache.
    expect((await t.api(`/environment/api-keys/${id}`, { method: 'DELETE' })).status).toBe(200);

    // A container that never saw the key refuses it at once.
    expect(await refusal(container().authenticate(database(), secretHasher, event(secret), 'secret_key', T0))).toEqual({ status: 401, code: 'unknown_account' });
    // The one that verified it may trust it until 30 s have passed, no longer.
    expect(await other.authenticate(database(), secretHasher, event(secret), 'secret_key', at(29_999))).toMatchObject({ keyId: id });
    expect(await refusal(other.authenticate(database(), secretHasher, event(secret), 'secret_key', at(30_000)))).toEqual({ status: 401, code: 'unknown_account' });
    expect(await refusal(other.authenticate(database(), secretHasher, event(secret), 'secret_key', at(1_000)))).toEqual({ status: 401, code: 'unknown_account' });
  });
});
