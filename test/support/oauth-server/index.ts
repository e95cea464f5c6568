import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { CustomProviderSchema, type CustomProviderInput, type Provider } from '../../../lambdas/providers/provider-schema';

/**
 * Starts test/support/oauth-server/server.mjs (a real oidc-provider authorization server) in a
 * child process: Jest runs CommonJS and oidc-provider is ESM-only.
 */

export interface TestClient {
  client_id: string;
  client_secret: string;
  redirect_uri: string;
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post';
}

export interface OAuthServer {
  issuer: string;
  authorizationUrl: string;
  tokenUrl: string;
  clients: { basic: TestClient; post: TestClient };
  /** POST /token requests received so far (every grant type), and whether the outage switch is on. */
  control(): Promise<{ tokenRequests: number; outage: boolean }>;
  /** While on, the token endpoint answers 503 temporarily_unavailable (counted, never processed). */
  setOutage(on: boolean): Promise<void>;
  stop(): Promise<void>;
}

export const REDIRECT_URI = 'http://127.0.0.1:1/oauth/callback';

export interface OAuthServerOptions {
  /** Real login and consent pages with forms (password OAUTH_TEST_PASSWORD) instead of finishing them at once. */
  interactive?: boolean;
  /** Redirect URIs registered for every client besides REDIRECT_URI (e.g. a local stack's /oauth/callback). */
  redirectUris?: string[];
  /** Lifetime of access tokens in seconds (default 3600), e.g. short-lived ones for refresh tests. */
  accessTokenTtl?: number;
}

/** The password of every account in interactive mode (server.mjs). */
export const OAUTH_TEST_PASSWORD = 'correct horse';

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const clients = {
    basic: client('client-basic', 'client_secret_basic'),
    post: client('client-post', 'client_secret_post'),
  };
  const config = {
    interactive: options.interactive === true,
    accessTokenTtl: options.accessTokenTtl,
    clients: Object.values(clients).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: [c.redirect_uri, ...(options.redirectUris ?? [])],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: c.token_endpoint_auth_method,
      scope: 'openid offline_access read write',
    })),
  };
  const child = spawn(process.execPath, [path.join(__dirname, 'server.mjs'), JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    // Generous: on a loaded machine a cold Node start with oidc-provider can take many seconds.
    const timer = setTimeout(() => fail(new Error('OAuth test server did not start within 25 s')), 25_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`${err.message}\n${stderr}`));
    };
    child.on('exit', (code) => fail(new Error(`OAuth test server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve((JSON.parse(line) as { issuer: string }).issuer);
    });
  });
  return {
    issuer,
    authorizationUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    clients,
    control: async () => (await fetch(`${issuer}/__test/state`)).json() as Promise<{ tokenRequests: number; outage: boolean }>,
    setOutage: async (on) => {
      await (await fetch(`${issuer}/__test/outage?on=${on ? 1 : 0}`)).arrayBuffer();
    },
    stop: () => stop(child),
  };
}

function client(id: string, method: TestClient['token_endpoint_auth_method']): TestClient {
  // Characters that form-urlencoding changes (RFC 6749 §2.3.1 Basic auth encodes them first).
  return { client_id: id, client_secret: `s3cret+${id}/with:odd chars%`, redirect_uri: REDIRECT_URI, token_endpoint_auth_method: method };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
    child.kill('SIGTERM');
  });
}

/**
 * Plays the browser: follows the authorization server's redirects (keeping its cookies) from an
 * authorize URL until the redirect lands on the client's redirect_uri, and returns that URL.
 */
export async function followAuthorize(authorizeUrl: string, redirectUri = REDIRECT_URI): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = authorizeUrl;
  for (let hop = 0; hop < 10; hop += 1) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const header of res.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`Authorization stopped with HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`);
    await res.arrayBuffer().catch(() => undefined);
    const next = new URL(location, url);
    if (next.href.startsWith(redirectUri)) return next;
    url = next.href;
  }
  throw new Error('Too many redirects during authorization');
}

/**
 * A custom OAUTH2 provider at `server` (on loopback: private network allowed), sending `client`'s
 * secret as it is registered: Basic for client_secret_basic, in the body for client_secret_post.
 */
export function serverProvider(server: OAuthServer, client?: TestClient, extra: Partial<CustomProviderInput> = {}): Provider {
  return CustomProviderSchema.parse({
    display_name: 'Test authorization server',
    auth_mode: 'OAUTH2',
    allow_private_network: true,
    authorization_url: server.authorizationUrl,
    token_url: server.tokenUrl,
    ...(client?.token_endpoint_auth_method === 'client_secret_basic' ? { authorization_method: 'header' } : {}),
    ...extra,
  });
}
