import { buildAuthorizeUrl, newPkcePair } from '../../../../lambdas/oauth/authorize-url';
import { exchangeCode, type TokenProvider } from '../../../../lambdas/oauth/token-client';
import type { OAuth2Credentials } from '../../../../lambdas/oauth/token-response';
import type { CustomProviderInput } from '../../../../lambdas/providers/provider-schema';
import { AppTokenError } from '../../../../lambdas/connections/errors';
import type { StoredCredentials } from '../../../../lambdas/connections/credentials';
import {
  appFailureKind,
  isRenewable,
  renew,
  type RefreshFunction,
  type RenewableCredentials,
  type RenewalContext,
} from '../../../../lambdas/connections/refresh/renewal';
import { followAuthorize, REDIRECT_URI, serverProvider, startOAuthServer, type OAuthServer, type TestClient } from '../../../support/oauth-server';
import { fakeGithubProvider, rsaKeyPair, startFakeGithub, type FakeGithub } from '../fake-github';

/**
 * renew() per credential type, in the Jest process (the coordinator tests run it inside local-stack
 * workers, out of Stryker's sight): OAUTH2 with an injected refresh, OAUTH2_CC against a real
 * authorization server, APP against the fake GitHub.
 */

let server: OAuthServer;
let gh: FakeGithub;
const now = new Date();
const integration = { client_id: 'integration-id', client_secret: 'integration-secret' };

beforeAll(async () => {
  [server, gh] = await Promise.all([startOAuthServer(), startFakeGithub('777002')]);
});
afterAll(async () => {
  await Promise.all([server?.stop(), gh?.stop()]);
});

const context = (extra: Partial<RenewalContext> = {}): RenewalContext => ({
  provider: { auth_mode: 'OAUTH2', token_url: 'http://127.0.0.1:1/token', allow_private_network: true },
  integration,
  connectionConfig: { tenant: 'acme' },
  now,
  timeoutMs: 5_000,
  ...extra,
});

describe('isRenewable', () => {
  test.each<[string, boolean, StoredCredentials | Record<string, never>]>([
    ['OAUTH2 with a refresh token', true, { type: 'OAUTH2', access_token: 'a', refresh_token: 'r', raw: {} }],
    ['OAUTH2 without one', false, { type: 'OAUTH2', access_token: 'a', raw: {} }],
    ['OAUTH2 with an empty one', false, { type: 'OAUTH2', access_token: 'a', refresh_token: '', raw: {} }],
    ['OAUTH2_CC', true, { type: 'OAUTH2_CC', token: 't', client_id: 'c', client_secret: 's', raw: {} }],
    ['APP', true, { type: 'APP', access_token: 'a', expires_at: now.toISOString(), raw: {} }],
    ['API_KEY', false, { type: 'API_KEY', apiKey: 'k' }],
    ['BASIC', false, { type: 'BASIC', username: 'u', password: 'p' }],
    ['no credentials (NONE)', false, {}],
  ])('%s → %s', (_name, expected, credentials) => {
    expect(isRenewable(credentials)).toBe(expected);
  });
});

describe('renew OAUTH2 (injected refresh)', () => {
  const old = (extra: Partial<OAuth2Credentials> = {}): OAuth2Credentials => ({ type: 'OAUTH2', access_token: 'old-access', refresh_token: 'old-refresh', raw: {}, ...extra });

  /** A refresh function that records its calls and answers `answer`. */
  function refreshAnswering(answer: Partial<OAuth2Credentials>, connectionConfig: Record<string, unknown> = {}) {
    const fn = jest.fn<ReturnType<RefreshFunction>, Parameters<RefreshFunction>>(async () => ({
      credentials: { type: 'OAUTH2', access_token: 'new-access', raw: { fresh: true }, ...answer },
      connectionConfig,
    }));
    return fn;
  }

  test('the refresh function gets the old refresh token, the request context and the client', async () => {
    const refresh = refreshAnswering({});
    const ctx = context({ refresh });
    await renew(old(), ctx);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith('old-refresh', { provider: ctx.provider, connectionConfig: { tenant: 'acme' }, now, timeoutMs: 5_000, client: integration });
  });

  test.each([
    ['no override: the integration’s client', undefined, integration],
    ['a full override wins', { client_id: 'own-id', client_secret: 'own-secret' }, { client_id: 'own-id', client_secret: 'own-secret' }],
    ['an override of the id only keeps the integration’s secret', { client_id: 'own-id' }, { client_id: 'own-id', client_secret: 'integration-secret' }],
    ['an override of the secret only keeps the integration’s id', { client_secret: 'own-secret' }, { client_id: 'integration-id', client_secret: 'own-secret' }],
    // The import schema lets an override hold empty strings; they mean "not overridden".
    ['empty override values fall back', { client_id: '', client_secret: '' }, integration],
  ])('%s', async (_name, config_override, client) => {
    const refresh = refreshAnswering({});
    await renew(old({ config_override }), context({ refresh }));
    expect(refresh.mock.calls[0][1].client).toEqual(client);
  });

  test('a new refresh token in the answer: rotated, and it replaces the old one', async () => {
    const metadata = { 'team.id': 'T1' };
    const result = await renew(old(), context({ refresh: refreshAnswering({ refresh_token: 'new-refresh', expires_at: '2031-01-01T00:00:00.000Z' }, metadata) }));
    expect(result).toEqual({
      credentials: { type: 'OAUTH2', access_token: 'new-access', refresh_token: 'new-refresh', expires_at: '2031-01-01T00:00:00.000Z', raw: { fresh: true } },
      connectionConfig: metadata,
      rotated: true,
    });
  });

  test('no refresh token in the answer: not rotated, the old one and the override are kept', async () => {
    const config_override = { client_id: 'own-id' };
    const result = await renew(old({ config_override }), context({ refresh: refreshAnswering({}) }));
    expect(result).toEqual({
      credentials: { type: 'OAUTH2', access_token: 'new-access', refresh_token: 'old-refresh', config_override, raw: { fresh: true } },
      connectionConfig: {},
      rotated: false,
    });
  });

  test('the same refresh token again is not a rotation', async () => {
    const result = await renew(old(), context({ refresh: refreshAnswering({ refresh_token: 'old-refresh' }) }));
    expect(result.rotated).toBe(false);
    expect(result.credentials).toMatchObject({ access_token: 'new-access', refresh_token: 'old-refresh' });
  });
});

/** A custom provider at the real authorization server, authenticating `client` as it is registered. */
const oauthProvider = (client: TestClient, extra: Partial<CustomProviderInput> = {}): TokenProvider => serverProvider(server, client, extra);

test('renew OAUTH2 without an injected refresh: the refresh_token grant at the real server', async () => {
  const client = server.clients.post;
  const provider = oauthProvider(client);
  const pkce = newPkcePair();
  const url = buildAuthorizeUrl({ provider, integration: { client_id: client.client_id, scopes: ['openid', 'read'] }, redirectUri: REDIRECT_URI, state: 's', codeChallenge: pkce.challenge });
  const code = (await followAuthorize(url)).searchParams.get('code')!;
  const first = await exchangeCode({ provider, client, code, redirectUri: REDIRECT_URI, codeVerifier: pkce.verifier, now });

  const result = await renew(first.credentials as RenewableCredentials, context({ provider, integration: client, connectionConfig: {} }));
  // The test server rotates on every use.
  expect(result.rotated).toBe(true);
  expect(result.credentials).toMatchObject({ type: 'OAUTH2', access_token: expect.any(String), refresh_token: expect.any(String) });
  const fresh = result.credentials as OAuth2Credentials;
  expect(fresh.access_token).not.toBe(first.credentials.access_token);
  expect(fresh.refresh_token).not.toBe(first.credentials.refresh_token);
});

describe.each(['basic', 'post'] as const)('renew OAUTH2_CC (client_secret_%s, real server)', (method) => {
  test("the credentials' own client, the integration's scopes: fresh credentials, not rotated", async () => {
    const client = server.clients[method];
    const old: RenewableCredentials = { type: 'OAUTH2_CC', token: 'stale-token', expires_at: '2020-01-01T00:00:00.000Z', client_id: client.client_id, client_secret: client.client_secret, raw: {} };
    // The integration's client is not registered: using it would be invalid_client.
    const ctx = context({ provider: oauthProvider(client, { token_response_metadata: ['token_type'] }), integration: { ...integration, scopes: ['read', 'write'] }, connectionConfig: {} });
    const result = await renew(old, ctx);
    expect(result.rotated).toBe(false);
    expect(result.credentials).toMatchObject({ type: 'OAUTH2_CC', client_id: client.client_id, client_secret: client.client_secret, raw: { scope: 'read write', expires_in: 600 } });
    const fresh = result.credentials as Extract<StoredCredentials, { type: 'OAUTH2_CC' }>;
    expect(fresh.token).toEqual(expect.any(String));
    expect(fresh.token).not.toBe('stale-token');
    expect(Date.parse(fresh.expires_at!) - now.getTime()).toBe(600_000);
    // connectionConfig is the answer's token_response_metadata.
    expect(result.connectionConfig).toEqual({ token_type: 'Bearer' });
  });

  test('an imported client certificate and key survive the renewal; none appear when there were none', async () => {
    const client = server.clients[method];
    const base = { type: 'OAUTH2_CC', token: 'stale-token', client_id: client.client_id, client_secret: client.client_secret, raw: {} } as const;
    const ctx = context({ provider: oauthProvider(client), integration: { ...integration, scopes: ['read'] }, connectionConfig: {} });
    const kept = await renew({ ...base, client_certificate: 'CERT-PEM', client_private_key: 'KEY-PEM' }, ctx);
    expect(kept.credentials).toMatchObject({ client_certificate: 'CERT-PEM', client_private_key: 'KEY-PEM' });
    const plain = await renew(base, ctx);
    expect(Object.keys(plain.credentials)).not.toEqual(expect.arrayContaining(['client_certificate']));
    expect(Object.keys(plain.credentials)).not.toEqual(expect.arrayContaining(['client_private_key']));
  });
});

describe('renew APP (fake GitHub)', () => {
  beforeEach(() => {
    gh.mode = 'ok';
    gh.requests.length = 0;
  });

  /** A custom APP provider at the fake GitHub, as the coordinator hands it over (name and custom beside the definition). */
  const appProvider = (extra: Partial<CustomProviderInput> = {}): RenewalContext['provider'] => ({ ...fakeGithubProvider(gh, extra), name: 'fake-gh', custom: true });
  const old: RenewableCredentials = { type: 'APP', access_token: 'ghs_old', expires_at: '2020-01-01T00:00:00Z', raw: {} };
  const appContext = (extra: Partial<RenewalContext> = {}) =>
    context({ provider: appProvider(), integration: { ...integration, private_key: gh.privateKeyPem }, connectionConfig: { installation_id: '4242', app_id: gh.appId }, ...extra });

  /** The AppTokenError a renewal fails with. */
  async function appError(promise: Promise<unknown>): Promise<AppTokenError> {
    const err = await promise.then(
      () => new Error('renewed'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppTokenError);
    return err as AppTokenError;
  }

  test("an installation token for connectionConfig.app_id, signed with the integration's key", async () => {
    const result = await renew(old, appContext());
    expect(gh.requests).toHaveLength(1);
    expect(gh.requests[0]).toMatchObject({ path: '/app/installations/4242/access_tokens', refused: undefined, claims: { iss: gh.appId } });
    expect(result).toEqual({
      credentials: { type: 'APP', access_token: gh.tokens[0], expires_at: expect.any(String), raw: expect.objectContaining({ token: gh.tokens[0], installation: '4242' }) },
      connectionConfig: {},
      rotated: false,
    });
    expect(Date.parse((result.credentials as { expires_at: string }).expires_at)).toBeGreaterThan(Date.now());
  });

  test('another app id or another key: refused, as an AppTokenError that maps to invalid_grant', async () => {
    const otherApp = await appError(renew(old, appContext({ connectionConfig: { installation_id: '4242', app_id: '999' } })));
    expect(otherApp.reason).toBe('app_refused');
    expect(gh.requests.at(-1)).toMatchObject({ refused: 'iss', claims: { iss: '999' } });
    const otherKey = await appError(renew(old, appContext({ integration: { ...integration, private_key: rsaKeyPair().privateKeyPem } })));
    expect(otherKey.reason).toBe('app_refused');
    expect(gh.requests.at(-1)?.refused).toBe('signature');
    expect(appFailureKind(otherKey)).toBe('invalid_grant');
  });

  test('a connection without app_id: a configuration error, before any call', async () => {
    const err = await appError(renew(old, appContext({ connectionConfig: { installation_id: '4242' } })));
    expect(err.reason).toBe('app_config');
    expect(appFailureKind(err)).toBe('config');
    expect(gh.requests).toHaveLength(0);
  });

  test('a provider refusal (HTTP 404) surfaces as an AppTokenError', async () => {
    gh.mode = { status: 404 };
    const err = await appError(renew(old, appContext()));
    expect(err.reason).toBe('app_refused');
    expect(err.message).toBe('The provider refused the installation token request (HTTP 404)');
  });

  test('only a custom provider may reach a private network; without a name it is called github-app', async () => {
    // `custom` absent is not custom: the loopback fake is blocked before any call.
    const { custom: _custom, ...notCustomProvider } = appProvider();
    const notCustom = await appError(renew(old, appContext({ provider: notCustomProvider })));
    expect(notCustom.reason).toBe('app_config');
    expect(gh.requests).toHaveLength(0);
    const { name: _name, ...unnamed } = appProvider({ auth_mode: 'CUSTOM', token_url: `${gh.baseUrl}/login/oauth/access_token` });
    const noUrl = await appError(renew(old, appContext({ provider: unnamed })));
    expect(noUrl.message).toBe('Provider github-app has no APP token URL');
  });
});

describe('appFailureKind', () => {
  test.each([
    ['app_refused', 'invalid_grant'],
    ['app_config', 'config'],
    ['app_unavailable', 'server'],
  ] as const)('%s → %s', (reason, kind) => {
    expect(appFailureKind(new AppTokenError(reason, 'x'))).toBe(kind);
  });
});
