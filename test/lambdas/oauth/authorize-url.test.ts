import { createHash } from 'node:crypto';
import { AuthorizeUrlError, buildAuthorizeUrl, newPkcePair, pkceChallenge } from '../../../lambdas/oauth/authorize-url';
import { CATALOG } from '../../../lambdas/providers/catalog';
import { MissingInterpolationValueError, UnsafeInterpolationValueError } from '../../../lambdas/providers/interpolation';
import { CustomProviderSchema } from '../../../lambdas/providers/provider-schema';

const REDIRECT = 'https://latchkey.example.com/oauth/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('buildAuthorizeUrl', () => {
  it('slack: comma-separated scopes, no PKCE, user_scope', () => {
    const url = buildAuthorizeUrl({
      provider: CATALOG.slack,
      integration: { client_id: '123.456', scopes: ['chat:write', 'channels:read'] },
      redirectUri: REDIRECT,
      state: 'state-1',
      codeChallenge: CHALLENGE, // ignored: Slack disables PKCE
      userScope: 'search:read,users:read',
    });
    expect(url).toBe(
      'https://slack.com/oauth/v2/authorize?response_type=code&client_id=123.456&redirect_uri=https%3A%2F%2Flatchkey.example.com%2Foauth%2Fcallback' +
        '&scope=chat%3Awrite%2Cchannels%3Aread&state=state-1&user_scope=search%3Aread%2Cusers%3Aread',
    );
  });

  it('google: space-separated scopes, PKCE and the offline parameters', () => {
    const url = buildAuthorizeUrl({
      provider: CATALOG.google,
      integration: { client_id: 'abc.apps.googleusercontent.com', scopes: ['openid', 'https://www.googleapis.com/auth/calendar.readonly'] },
      redirectUri: REDIRECT,
      state: 's',
      codeChallenge: CHALLENGE,
    });
    expect(url).toBe(
      'https://accounts.google.com/o/oauth2/v2/auth?response_type=code&client_id=abc.apps.googleusercontent.com' +
        '&redirect_uri=https%3A%2F%2Flatchkey.example.com%2Foauth%2Fcallback&scope=openid%20https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcalendar.readonly' +
        `&state=s&code_challenge=${CHALLENGE}&code_challenge_method=S256&access_type=offline&prompt=consent`,
    );
  });

  it('notion: provider authorization_params, no scope parameter without scopes', () => {
    const url = buildAuthorizeUrl({ provider: CATALOG.notion, integration: { client_id: 'n-1', scopes: null }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE });
    expect(url).toBe(
      `https://api.notion.com/v1/oauth/authorize?response_type=code&client_id=n-1&redirect_uri=https%3A%2F%2Flatchkey.example.com%2Foauth%2Fcallback&state=s&code_challenge=${CHALLENGE}&code_challenge_method=S256&owner=user`,
    );
  });

  it('linear (disable_pkce): no code_challenge even when one is given', () => {
    const url = new URL(buildAuthorizeUrl({ provider: CATALOG.linear, integration: { client_id: 'l', scopes: ['read', 'write'] }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE }));
    expect(url.searchParams.get('code_challenge')).toBeNull();
    expect(url.searchParams.get('code_challenge_method')).toBeNull();
    expect(url.searchParams.get('scope')).toBe('read,write');
  });

  it('salesforce: the hostname template with its || fallback, interpolated from connectionConfig', () => {
    const base = { provider: CATALOG.salesforce, integration: { client_id: 'sf', scopes: ['api'] }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE };
    expect(buildAuthorizeUrl(base)).toMatch(/^https:\/\/login\.salesforce\.com\/services\/oauth2\/authorize\?/);
    expect(buildAuthorizeUrl({ ...base, connectionConfig: { hostname: 'acme.my.salesforce.com' } })).toMatch(/^https:\/\/acme\.my\.salesforce\.com\/services\/oauth2\/authorize\?/);
    // A value cannot move the request to another host.
    expect(() => buildAuthorizeUrl({ ...base, connectionConfig: { hostname: 'evil.com/x?' } })).toThrow(UnsafeInterpolationValueError);
  });

  it('scope override, caller parameters win over the provider, undefined removes one', () => {
    const url = new URL(
      buildAuthorizeUrl({
        provider: CATALOG.google,
        integration: { client_id: 'g', scopes: ['a'] },
        scopesOverride: ['b', 'c'],
        redirectUri: REDIRECT,
        state: 's',
        codeChallenge: CHALLENGE,
        authorizationParams: { prompt: 'select_account', access_type: undefined, login_hint: 'a@b.c' },
      }),
    );
    expect(url.searchParams.get('scope')).toBe('b c');
    expect(url.searchParams.get('prompt')).toBe('select_account');
    expect(url.searchParams.has('access_type')).toBe(false);
    expect(url.searchParams.get('login_hint')).toBe('a@b.c');
  });

  it.each(['state', 'redirect_uri', 'client_id', 'code_challenge', 'code_challenge_method'])('refuses to let a caller override %s', (key) => {
    expect(() =>
      buildAuthorizeUrl({ provider: CATALOG.google, integration: { client_id: 'g' }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE, authorizationParams: { [key]: 'x' } }),
    ).toThrow(AuthorizeUrlError);
  });

  it('requires a code challenge when PKCE is on', () => {
    expect(() => buildAuthorizeUrl({ provider: CATALOG.google, integration: { client_id: 'g' }, redirectUri: REDIRECT, state: 's' })).toThrow(
      expect.objectContaining({ code: 'missing_code_challenge' }),
    );
  });

  it('custom provider: interpolated authorization_params, existing query kept, http allowed on a private network', () => {
    const provider = CustomProviderSchema.parse({
      display_name: 'Local',
      auth_mode: 'OAUTH2',
      allow_private_network: true,
      authorization_url: 'http://127.0.0.1:9999/${connectionConfig.tenant}/authorize?v=2',
      token_url: 'http://127.0.0.1:9999/token',
      authorization_params: { audience: 'api.${connectionConfig.tenant}' },
      scope_separator: '+',
      authorization_url_skip_encode: ['scopes'],
      connection_config: { tenant: { type: 'string', title: 'Tenant' } },
    });
    const url = buildAuthorizeUrl({ provider, integration: { client_id: 'c', scopes: ['a:b', 'c'] }, connectionConfig: { tenant: 'acme' }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE });
    expect(url).toBe(
      `http://127.0.0.1:9999/acme/authorize?v=2&response_type=code&client_id=c&redirect_uri=https%3A%2F%2Flatchkey.example.com%2Foauth%2Fcallback&scope=a%3Ab+c&state=s&code_challenge=${CHALLENGE}&code_challenge_method=S256&audience=api.acme`,
    );
    expect(() => buildAuthorizeUrl({ provider, integration: { client_id: 'c' }, redirectUri: REDIRECT, state: 's', codeChallenge: CHALLENGE })).toThrow(MissingInterpolationValueError);
  });
});

describe('PKCE', () => {
  it('verifier is 43 base64url characters, challenge is base64url(sha256(verifier)), pairs differ', () => {
    const a = newPkcePair();
    const b = newPkcePair();
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.challenge).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
    expect(a.verifier).not.toBe(b.verifier);
  });

  it('matches the RFC 7636 appendix B example', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(CHALLENGE);
  });
});
