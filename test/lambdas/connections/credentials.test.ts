import fc from 'fast-check';
import { CredentialsInputSchema, isRefreshTokenKey, prepareCredentials, stripRefreshTokens } from '../../../lambdas/connections/credentials';

describe('isRefreshTokenKey', () => {
  test.each(['refresh_token', 'refreshToken', 'RefreshToken', 'refresh-token', 'REFRESH_TOKEN', 'refresh token', '_refresh_token_2', 'refresh.token'])('%s counts', (key) => {
    expect(isRefreshTokenKey(key)).toBe(true);
  });
  test.each(['refresh', 'token', 'refresh_tokens', 'refreshed_token', 'access_token', 'x_refresh_token_y', ''])('%s does not', (key) => {
    expect(isRefreshTokenKey(key)).toBe(false);
  });
});

describe('stripRefreshTokens', () => {
  const noRefreshKeyAnywhere = (value: unknown): boolean => {
    if (Array.isArray(value)) return value.every(noRefreshKeyAnywhere);
    if (value === null || typeof value !== 'object') return true;
    return Object.entries(value).every(([k, v]) => !isRefreshTokenKey(k) && noRefreshKeyAnywhere(v));
  };
  const keys = fc.oneof(fc.string(), fc.constantFrom('refresh_token', 'refreshToken', 'Refresh-Token', 'raw', 'access_token', '__proto__'));
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.jsonValue({ maxDepth: 0 }), fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(keys, tie('value'), { maxKeys: 5 })),
  })).value;

  test('removes every refresh-token-like key at any depth, keeps everything else, mutates nothing', () => {
    fc.assert(
      fc.property(json, (value) => {
        const before = JSON.stringify(value);
        const out = stripRefreshTokens(value);
        expect(JSON.stringify(value)).toBe(before);
        expect(noRefreshKeyAnywhere(out)).toBe(true);
        // Nothing else changed: stripping the input by hand gives the same document.
        const expected = JSON.parse(before, function (key, v) {
          return isRefreshTokenKey(key) && !Array.isArray(this) ? undefined : v;
        });
        expect(JSON.stringify(out)).toBe(JSON.stringify(expected));
      }),
      { numRuns: 300 },
    );
  });

  test('a __proto__ key stays a plain key and never becomes a prototype', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true, "refresh_token": "x"}, "a": 1}');
    const out = stripRefreshTokens(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe('CredentialsInputSchema and prepareCredentials', () => {
  test('OAUTH2: dates become ISO Z, raw keeps what was sent, expiry drives credentials_expires_at', () => {
    const input = CredentialsInputSchema.parse({ type: 'OAUTH2', access_token: 'a', refresh_token: 'r', expires_at: '2030-05-06T07:08:09+02:00' });
    const prepared = prepareCredentials(input);
    expect(prepared.expiresAt?.toISOString()).toBe('2030-05-06T05:08:09.000Z');
    expect(prepared.credentials).toEqual({
      type: 'OAUTH2',
      access_token: 'a',
      refresh_token: 'r',
      expires_at: '2030-05-06T05:08:09.000Z',
      raw: { type: 'OAUTH2', access_token: 'a', refresh_token: 'r', expires_at: '2030-05-06T05:08:09.000Z' },
    });
  });

  test('epoch milliseconds are accepted as an expiry', () => {
    const input = CredentialsInputSchema.parse({ type: 'OAUTH2_CC', token: 't', client_id: 'c', client_secret: 's', expires_at: 1_900_000_000_000 });
    expect(prepareCredentials(input).expiresAt?.getTime()).toBe(1_900_000_000_000);
  });

  test('optional members are absent, not null; NONE stores nothing', () => {
    expect(prepareCredentials(CredentialsInputSchema.parse({ type: 'OAUTH2', access_token: 'a' })).credentials).toEqual({ type: 'OAUTH2', access_token: 'a', raw: { type: 'OAUTH2', access_token: 'a' } });
    expect(prepareCredentials(CredentialsInputSchema.parse({ type: 'TBA', token_id: 'i', token_secret: 's' }))).toEqual({ credentials: { type: 'TBA', token_id: 'i', token_secret: 's' }, expiresAt: null });
    expect(prepareCredentials(CredentialsInputSchema.parse({ type: 'NONE' }))).toEqual({ credentials: null, expiresAt: null });
  });

  test('the union is strict per type', () => {
    const bad = [
      { type: 'API_KEY', access_token: 'a' },
      { type: 'OAUTH2', access_token: 'a', apiKey: 'k' },
      { type: 'BASIC', username: 'u' },
      { type: 'OAUTH2', access_token: '' },
      { type: 'OAUTH2', access_token: 'a', expires_at: 'soon' },
      { type: 'OAUTH2', access_token: 'a', expires_at: null },
      { type: 'NONE', extra: 1 },
      { type: 'JWT' },
      {},
    ];
    for (const value of bad) expect(CredentialsInputSchema.safeParse(value).success).toBe(false);
  });
});
