import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAuthorizeUrl, newPkcePair } from '../../../lambdas/oauth/authorize-url';
import { clientCredentials, exchangeCode, refreshTokens, type TokenProvider } from '../../../lambdas/oauth/token-client';
import { mergeRefreshed, OAuthTokenError } from '../../../lambdas/oauth/token-response';
import { CustomProviderSchema, type CustomProviderInput } from '../../../lambdas/providers/provider-schema';
import { followAuthorize, REDIRECT_URI, serverProvider, startOAuthServer, type OAuthServer, type TestClient } from '../../support/oauth-server';

/** Token endpoint calls against a real authorization server (oidc-provider) and a misbehaving one. */

let server: OAuthServer;
let raw: RawServer;
const now = new Date();
/** Every secret a test handled: none may appear in an error. */
const secrets = new Set<string>();

beforeAll(async () => {
  [server, raw] = await Promise.all([startOAuthServer(), startRawServer()]);
  for (const c of Object.values(server.clients)) secrets.add(c.client_secret);
});
afterAll(async () => {
  await Promise.all([server?.stop(), raw?.stop()]);
});

const provider = (extra: Partial<CustomProviderInput> = {}): TokenProvider => serverProvider(server, undefined, extra);

/** The provider each test client needs: Basic for client_secret_basic, body for client_secret_post. */
const providerFor = (client: TestClient) => serverProvider(server, client);

async function authorize(client: TestClient, scopes = ['openid', 'read']): Promise<{ code: string; verifier: string }> {
  const pkce = newPkcePair();
  const state = `state-${Math.random()}`;
  const url = buildAuthorizeUrl({
    provider: CustomProviderSchema.parse({ display_name: 'x', auth_mode: 'OAUTH2', allow_private_network: true, authorization_url: server.authorizationUrl, token_url: server.tokenUrl }),
    integration: { client_id: client.client_id, scopes },
    redirectUri: client.redirect_uri,
    state,
    codeChallenge: pkce.challenge,
  });
  const callback = await followAuthorize(url);
  expect(callback.searchParams.get('state')).toBe(state);
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code in the callback: ${callback.search}`);
  secrets.add(code);
  secrets.add(pkce.verifier);
  return { code, verifier: pkce.verifier };
}

/** The error a promise rejects with, checked for leaks. */
async function failure(promise: Promise<unknown>): Promise<OAuthTokenError> {
  const err = await promise.then(
    () => {
      throw new Error('expected the token request to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OAuthTokenError);
  const text = `${String(err)} ${JSON.stringify(err)} ${(err as Error).stack}`;
  for (const secret of secrets) expect(text).not.toContain(secret);
  return err as OAuthTokenError;
}

const track = <T extends { credentials: { access_token?: string; token?: string; refresh_token?: string } }>(result: T): T => {
  for (const value of [result.credentials.access_token, result.credentials.token, result.credentials.refresh_token]) if (value) secrets.add(value);
  return result;
};

describe.each(['basic', 'post'] as const)('authorization code with PKCE (client_secret_%s)', (method) => {
  it('exchanges the code, refreshes with rotation, and refuses the reused refresh token as invalid_grant', async () => {
    const client = server.clients[method];
    const p = providerFor(client);
    const { code, verifier } = await authorize(client);
    const first = track(await exchangeCode({ provider: p, client, code, redirectUri: REDIRECT_URI, codeVerifier: verifier, now }));
    expect(first.credentials).toMatchObject({ type: 'OAUTH2', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(Date.parse(first.credentials.expires_at!) - now.getTime()).toBe(3600_000);
    expect(first.credentials.raw).toMatchObject({ token_type: 'Bearer', scope: 'openid read' });

    const second = track(await refreshTokens({ provider: p, client, refreshToken: first.credentials.refresh_token!, now }));
    expect(second.credentials.access_token).not.toBe(first.credentials.access_token);
    expect(second.credentials.refresh_token).toBeDefined();
    expect(second.credentials.refresh_token).not.toBe(first.credentials.refresh_token);
    expect(mergeRefreshed(first.credentials, second.credentials).refresh_token).toBe(second.credentials.refresh_token);

    const reused = await failure(refreshTokens({ provider: p, client, refreshToken: first.credentials.refresh_token!, now }));
    expect(reused).toMatchObject({ kind: 'invalid_grant', status: 400, providerError: 'invalid_grant' });
  });

  it('a code needs its verifier, and works once', async () => {
    const client = server.clients[method];
    const p = providerFor(client);
    const { code, verifier } = await authorize(client);
    const exchange = (codeVerifier?: string) => exchangeCode({ provider: p, client, code, redirectUri: REDIRECT_URI, codeVerifier, now });
    expect((await failure(exchange(newPkcePair().verifier))).kind).toBe('invalid_grant');
    expect((await failure(exchange(undefined))).kind).toBe('invalid_grant');
    track(await exchange(verifier));
    expect((await failure(exchange(verifier))).kind).toBe('invalid_grant');
  });

  it('a wrong client secret is invalid_client', async () => {
    const client = server.clients[method];
    const wrong = { client_id: client.client_id, client_secret: `${client.client_secret}-wrong` };
    secrets.add(wrong.client_secret);
    const err = await failure(exchangeCode({ provider: providerFor(client), client: wrong, code: 'not-a-real-code', redirectUri: REDIRECT_URI, codeVerifier: 'v'.repeat(43), now }));
    expect(err).toMatchObject({ kind: 'invalid_client', status: 401, providerError: 'invalid_client' });
  });

  it('client credentials', async () => {
    const client = server.clients[method];
    const result = track(await clientCredentials({ provider: providerFor(client), client, scopes: ['read'], now }));
    expect(result.credentials).toMatchObject({ type: 'OAUTH2_CC', token: expect.any(String), client_id: client.client_id, client_secret: client.client_secret });
    expect(result.credentials.raw).toMatchObject({ scope: 'read', expires_in: 600 });
    expect(Date.parse(result.credentials.expires_at!) - now.getTime()).toBe(600_000);
  });
});

it('token_request_auth_method: basic sends the client in an RFC 6749 §2.3.1 Basic header', async () => {
  const client = server.clients.basic;
  const { code, verifier } = await authorize(client);
  // This client is registered for client_secret_basic: the real server refuses the client anywhere else.
  const result = track(await exchangeCode({ provider: provider({ token_request_auth_method: 'basic' }), client, code, redirectUri: REDIRECT_URI, codeVerifier: verifier, now }));
  expect(result.credentials).toMatchObject({ type: 'OAUTH2', access_token: expect.any(String) });
  // And the header itself, as a raw server sees it: form-encoded id and secret, nothing in the body.
  const p: TokenProvider = { auth_mode: 'OAUTH2', token_url: `${raw.url}/ok`, token_request_auth_method: 'basic', allow_private_network: true };
  await exchangeCode({ provider: p, client: { client_id: 'id:1', client_secret: 's p@ss' }, code: 'c', redirectUri: 'https://cb', codeVerifier: 'v', now });
  const req = raw.last();
  expect(req.headers.authorization).toBe(`Basic ${Buffer.from('id%3A1:s+p%40ss').toString('base64')}`);
  const form = new URLSearchParams(req.body);
  expect(form.has('client_secret')).toBe(false);
  expect(form.has('client_id')).toBe(false);
});

describe('request shape (recorded by a raw server)', () => {
  it('json body + header auth (Notion), interpolated token_params, token_url per auth mode, Accept: application/json', async () => {
    const p = CustomProviderSchema.parse({
      display_name: 'Notion-like',
      auth_mode: 'CUSTOM',
      allow_private_network: true,
      authorization_url: `${raw.url}/authorize`,
      token_url: { OAUTH2: `${raw.url}/\${connectionConfig.tenant}/ok`, APP: `${raw.url}/app` },
      authorization_method: 'header',
      body_format: 'json',
      token_params: { audience: 'api.${connectionConfig.tenant}' },
      connection_config: { tenant: { type: 'string', title: 'Tenant' } },
    });
    const client = { client_id: 'id:1', client_secret: 'p@ss word+/' };
    await exchangeCode({ provider: p, client, connectionConfig: { tenant: 'acme' }, code: 'c', redirectUri: 'https://cb', codeVerifier: 'v', now });
    const req = raw.last();
    expect(req.url).toBe('/acme/ok');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('id%3A1:p%40ss+word%2B%2F').toString('base64')}`);
    expect(JSON.parse(req.body)).toEqual({ audience: 'api.acme', grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://cb', code_verifier: 'v' });
  });

  it('form body with the client in it; refresh uses refresh_params and refresh_url; our grant_type wins', async () => {
    const p = CustomProviderSchema.parse({
      display_name: 'Figma-like',
      auth_mode: 'OAUTH2',
      allow_private_network: true,
      authorization_url: `${raw.url}/authorize`,
      token_url: `${raw.url}/ok`,
      refresh_url: `${raw.url}/refresh-ok`,
      token_params: { grant_type: 'authorization_code', resource: 'r1' },
      refresh_params: { grant_type: 'refresh_token', extra: 'x' },
    });
    const result = await refreshTokens({ provider: p, client: { client_id: 'cid', client_secret: 'csecret' }, refreshToken: 'old-rt', now });
    const req = raw.last();
    expect(req.url).toBe('/refresh-ok');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ extra: 'x', grant_type: 'refresh_token', refresh_token: 'old-rt', client_id: 'cid', client_secret: 'csecret' });
    // The raw server answers without a refresh token: the old one stays.
    expect(result.credentials.refresh_token).toBeUndefined();
    expect(mergeRefreshed({ type: 'OAUTH2', access_token: 'a', refresh_token: 'old-rt', raw: {} }, result.credentials).refresh_token).toBe('old-rt');
  });
  it('client credentials: token_url.OAUTH2_CC, scopes joined with the provider separator, basic auth', async () => {
    const p: TokenProvider = { auth_mode: 'CUSTOM', token_url: { OAUTH2: `${raw.url}/wrong`, OAUTH2_CC: `${raw.url}/ok` }, scope_separator: ',', token_request_auth_method: 'basic', allow_private_network: true };
    const result = await clientCredentials({ provider: p, client: { client_id: 'cid', client_secret: 'cs' }, scopes: ['a', 'b'], now });
    const req = raw.last();
    expect(req.url).toBe('/ok');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('cid:cs').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ grant_type: 'client_credentials', scope: 'a,b' });
    expect(result.credentials).toMatchObject({ type: 'OAUTH2_CC', token: 'raw-at', client_id: 'cid', client_secret: 'cs' });
  });
});

describe('provider failures are classified without leaking secrets', () => {
  const client = { client_id: 'cid', client_secret: 'raw-server-client-secret' };
  beforeAll(() => {
    secrets.add(client.client_secret);
    secrets.add('raw-server-refresh-token');
  });
  const at = (path: string, extra: Partial<TokenProvider> = {}): TokenProvider => ({ auth_mode: 'OAUTH2', token_url: `${raw.url}${path}`, allow_private_network: true, ...extra });
  const refresh = (p: TokenProvider, timeoutMs?: number) => refreshTokens({ provider: p, client, refreshToken: 'raw-server-refresh-token', now, timeoutMs });

  it.each([
    ['/503', 'server', 503],
    ['/500-echo', 'server', 500],
    ['/garbage', 'invalid_response', undefined],
    ['/garbage-400', 'other_4xx', 400],
    ['/echo-400', 'invalid_grant', 400],
    ['/redirect', 'invalid_response', 302],
    ['/no-token', 'invalid_response', undefined],
    ['/slack-error', 'invalid_grant', 200],
    ['/huge', 'invalid_response', undefined],
  ])('%s → %s', async (path, kind, status) => {
    const err = await failure(refresh(at(path)));
    expect(err.kind).toBe(kind);
    expect(err.status).toBe(status);
  });

  it('a server that hangs → timeout', async () => {
    const err = await failure(refresh(at('/hang'), 300));
    expect(err.kind).toBe('timeout');
  });

  it('nothing listening → network', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => resolve(port));
      });
    });
    const err = await failure(refresh({ auth_mode: 'OAUTH2', token_url: `http://127.0.0.1:${closed}/token`, allow_private_network: true }));
    expect(err.kind).toBe('network');
  });

  it('a provider without allow_private_network cannot reach a private address → blocked', async () => {
    const before = raw.count();
    const err = await failure(refresh({ auth_mode: 'OAUTH2', token_url: `https://127.0.0.1:${new URL(raw.url).port}/ok` }));
    expect(err.kind).toBe('blocked');
    expect(raw.count()).toBe(before);
  });
});

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
interface RawServer {
  url: string;
  last(): Recorded;
  count(): number;
  stop(): Promise<void>;
}

/** A token endpoint that misbehaves on demand; it echoes secrets back where a careless client would leak them. */
async function startRawServer(): Promise<RawServer> {
  const recorded: Recorded[] = [];
  const answer = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      recorded.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const path = req.url!.replace(/^\/[a-z]+(?=\/ok$)/, '');
      switch (path) {
        case '/ok':
        case '/refresh-ok':
          return answer(res, 200, JSON.stringify({ access_token: 'raw-at', token_type: 'Bearer', expires_in: 60 }));
        case '/503':
          return answer(res, 503, '<html>Service Unavailable</html>', 'text/html');
        case '/500-echo':
          return answer(res, 500, JSON.stringify({ error: 'server_error', error_description: `failed for ${body}` }));
        case '/garbage':
          return answer(res, 200, `not json ${body}`, 'text/html');
        case '/garbage-400':
          return answer(res, 400, `<html>${body}</html>`, 'text/html');
        case '/echo-400':
          return answer(res, 400, JSON.stringify({ error: 'invalid_grant', error_description: `Invalid refresh token in ${body}` }));
        case '/redirect':
          res.writeHead(302, { location: `https://elsewhere.example/?${body}` });
          return res.end();
        case '/no-token':
          return answer(res, 200, JSON.stringify({ token_type: 'Bearer', echo: body }));
        case '/slack-error':
          return answer(res, 200, JSON.stringify({ ok: false, error: 'invalid_refresh_token', echo: body }));
        case '/huge':
          return answer(res, 200, JSON.stringify({ access_token: 'x', pad: 'y'.repeat(2 * 1024 * 1024) }));
        case '/hang':
          return; // never answers
        default:
          return answer(res, 404, '{}');
      }
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    last: () => recorded[recorded.length - 1],
    count: () => recorded.length,
    stop: () =>
      new Promise<void>((resolve) => {
        s.closeAllConnections();
        s.close(() => resolve());
      }),
  };
}
