import { createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { listen } from '../../../local/aws-http';
import { CustomProviderSchema, type CustomProviderInput, type Provider } from '../../../lambdas/providers/provider-schema';

/**
 * A loopback stand-in for GitHub's `POST /app/installations/{id}/access_tokens`: it checks the
 * app JWT (RS256 signature with the app's public key, iss, a lifetime of at most 10 minutes) and
 * answers like GitHub (201 with a token), or as `mode` says.
 */

export type FakeMode = 'ok' | 'hang' | 'no-token' | { status: number };

export interface FakeGithub {
  baseUrl: string;
  port: number;
  appId: string;
  /** The app's key pair; the private key is what the integration stores. */
  privateKeyPem: string;
  publicKey: KeyObject;
  mode: FakeMode;
  /** Every request: path, headers, and the verified claims (or why the JWT was refused). */
  requests: { path: string; headers: http.IncomingHttpHeaders; jwt?: string; claims?: Record<string, number | string>; refused?: string }[];
  /** Tokens handed out, in order. */
  tokens: string[];
  /** Lifetime of the tokens handed out (GitHub's: one hour). */
  tokenLifetimeMs: number;
  stop(): Promise<void>;
}

export function rsaKeyPair(): { privateKeyPem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey };
}

/** Why a JWT is not one GitHub would accept from `appId`, or undefined. */
export function jwtProblem(jwt: string, publicKey: KeyObject, appId: string): { problem?: string; claims?: Record<string, number | string> } {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { problem: 'not a JWT' };
  const [header, payload, signature] = parts;
  const decoded = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  if (decoded(header).alg !== 'RS256') return { problem: 'alg' };
  if (!createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(publicKey, Buffer.from(signature, 'base64url'))) return { problem: 'signature' };
  const claims = decoded(payload) as { iat: number; exp: number; iss: string };
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== appId) return { problem: 'iss', claims };
  if (claims.exp - claims.iat > 600 || claims.iat > now + 5 || claims.exp <= now) return { problem: 'lifetime', claims };
  return { claims };
}

export async function startFakeGithub(appId = '123456'): Promise<FakeGithub> {
  const { privateKeyPem, publicKey } = rsaKeyPair();
  const server = http.createServer((req, res) => answer(req, res));
  const answer = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const auth = req.headers.authorization ?? '';
    const jwt = auth.startsWith('Bearer ') ? auth.slice(7) : undefined;
    const check = jwt ? jwtProblem(jwt, publicKey, appId) : { problem: 'no bearer' };
    const entry = { path: req.url ?? '', headers: req.headers, jwt, claims: check.claims, refused: check.problem };
    fake.requests.push(entry);
    req.resume();
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (fake.mode === 'hang') return;
    if (typeof fake.mode === 'object') return void send(fake.mode.status, { message: 'as told', documentation_url: 'https://docs.github.com' });
    const match = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) return void send(404, { message: 'Not Found' });
    if (check.problem) return void send(401, { message: 'A JSON web token could not be decoded' });
    if (fake.mode === 'no-token') return void send(201, { expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    const token = `ghs_fake${fake.tokens.length}${Math.random().toString(36).slice(2, 14)}`;
    fake.tokens.push(token);
    send(201, {
      token,
      expires_at: new Date(Date.now() + fake.tokenLifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      permissions: { contents: 'read', metadata: 'read' },
      repository_selection: 'all',
      installation: decodeURIComponent(match[1]),
    });
  };
  const baseUrl = await listen(server, 0, '127.0.0.1');
  const fake: FakeGithub = {
    baseUrl,
    port: Number(new URL(baseUrl).port),
    appId,
    privateKeyPem,
    publicKey,
    mode: 'ok',
    requests: [],
    tokens: [],
    tokenLifetimeMs: 3_600_000,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return fake;
}

/** A custom APP provider whose installation token URL is this stand-in's (on loopback: private network allowed). */
export function fakeGithubProvider(gh: FakeGithub, extra: Partial<CustomProviderInput> = {}): Provider {
  return CustomProviderSchema.parse({
    display_name: 'Fake GitHub',
    auth_mode: 'APP',
    authorization_url: `${gh.baseUrl}/apps/x/installations/new`,
    token_url: `${gh.baseUrl}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
    connection_config: { installation_id: { title: 'Installation', automated: true } },
    allow_private_network: true,
    ...extra,
  });
}
