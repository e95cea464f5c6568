import fc from 'fast-check';
import { CONNECT_SESSION_TOKEN_PREFIX, isConnectSessionToken, newConnectSessionToken } from '../../../../lambdas/platform/crypto/connect-session-token';

describe('connect-session tokens', () => {
  test('are the Nango prefix and 64 lowercase hex characters, different every time', () => {
    const tokens = Array.from({ length: 1_000 }, newConnectSessionToken);
    for (const token of tokens) expect(token).toMatch(/^nango_connect_session_[0-9a-f]{64}$/);
    expect(new Set(tokens).size).toBe(1_000);
    expect(CONNECT_SESSION_TOKEN_PREFIX).toBe('nango_connect_session_');
    expect(tokens.every(isConnectSessionToken)).toBe(true);
  });

  const hex64 = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
  test.each([
    ['upper-case hex', `nango_connect_session_${hex64.toUpperCase()}`],
    ['63 characters', `nango_connect_session_${hex64.slice(1)}`],
    ['65 characters', `nango_connect_session_${hex64}0`],
    ['a non-hex character', `nango_connect_session_${hex64.slice(1)}g`],
    ['a trailing newline', `nango_connect_session_${hex64}\n`],
    ['leading space', ` nango_connect_session_${hex64}`],
    ['another prefix', `nango_connect_sessions_${hex64}`],
    ['a secret key', '2f0c6d1e-1111-4222-8333-444455556666'],
    ['empty', ''],
  ])('refuses %s', (_name, value) => {
    expect(isConnectSessionToken(value)).toBe(false);
  });

  test('refuses non-strings, even ones whose text is a well-formed token', () => {
    const token = newConnectSessionToken();
    expect([undefined, null, 42, {}, ['x'], [token], { toString: () => token }].some(isConnectSessionToken)).toBe(false);
  });

  test('property: accepts exactly prefix + 64 lowercase hex', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (s) => {
        expect(isConnectSessionToken(s)).toBe(/^nango_connect_session_[0-9a-f]{64}$/.test(s));
        expect(isConnectSessionToken(`${CONNECT_SESSION_TOKEN_PREFIX}${s}`)).toBe(/^[0-9a-f]{64}$/.test(s));
      }),
    );
  });
});
