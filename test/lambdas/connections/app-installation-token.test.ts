import { generateKeyPairSync } from 'node:crypto';
import {
  fetchInstallationToken,
  loadAppPrivateKey,
  signAppJwt,
  type InstallationTokenRequest,
} from '../../../lambdas/connections/app-installation-token';
import { AppTokenError } from '../../../lambdas/connections/errors';
import type { ApiError } from '../../../lambdas/http/errors';
import { answerFor } from '../../../lambdas/http/error-table';
import { CATALOG } from '../../../lambdas/providers/catalog';
import type { CustomProviderInput } from '../../../lambdas/providers/provider-schema';
import type { ResolvedProvider } from '../../../lambdas/providers/provider-registry';
import { fakeGithubProvider, jwtProblem, rsaKeyPair, startFakeGithub, type FakeGithub } from './fake-github';
import { simulateOffline } from '../../support/offline-resolver';

let gh: FakeGithub;
/** Everything written to stdout/stderr (the logger) while the tests run. */
const output: string[] = [];
let restore: () => void;

beforeAll(async () => {
  gh = await startFakeGithub('777001');
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream) => {
    stream.write = ((chunk: string | Uint8Array) => {
      output.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof stream.write;
  });
  restore = () => streams.forEach((stream, i) => (stream.write = originals[i] as typeof stream.write));
});
afterAll(async () => {
  restore();
  await gh.stop();
});
beforeEach(() => {
  gh.mode = 'ok';
  gh.requests.length = 0;
});

function custom(name: string, definition: Partial<CustomProviderInput>): ResolvedProvider {
  return { name, provider: fakeGithubProvider(gh, definition), custom: true };
}

const request = (extra: Partial<InstallationTokenRequest> = {}): InstallationTokenRequest => ({
  provider: custom('fake-gh', {}),
  appId: gh.appId,
  privateKey: gh.privateKeyPem,
  connectionConfig: { installation_id: '4242', app_id: gh.appId },
  now: new Date(),
  ...extra,
});

/** The refusal as the API answers it (the error table maps AppTokenErrors). */
async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(AppTokenError);
    return answerFor(err as AppTokenError)!;
  }
  throw new Error('no error');
}

/** Neither errors nor log lines may hold the key, a JWT or a token. */
function expectNoSecrets(...texts: string[]) {
  const secrets = [gh.privateKeyPem.split('\n')[1], ...gh.tokens, ...gh.requests.map((r) => r.jwt ?? '').filter(Boolean)];
  for (const text of [...texts, ...output]) for (const secret of secrets) expect(text).not.toContain(secret);
}

describe('signAppJwt', () => {
  test('RS256, iss = app id, iat = now − 60 s, exp = now + 9 min; verifies with the public key', () => {
    const now = new Date();
    const jwt = signAppJwt(gh.appId, loadAppPrivateKey(gh.privateKeyPem), now);
    expect(jwtProblem(jwt, gh.publicKey, gh.appId).problem).toBeUndefined();
    const [header, payload] = jwt.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT' });
    const seconds = Math.floor(now.getTime() / 1000);
    expect(payload).toEqual({ iat: seconds - 60, exp: seconds + 540, iss: gh.appId });
    expect(jwt).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    // Another key's signature does not verify.
    expect(jwtProblem(signAppJwt(gh.appId, loadAppPrivateKey(rsaKeyPair().privateKeyPem), now), gh.publicKey, gh.appId).problem).toBe('signature');
  });

  test('a PKCS#8 PEM works as well as PKCS#1', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(jwtProblem(signAppJwt('1', loadAppPrivateKey(pem), new Date()), publicKey, '1').problem).toBeUndefined();
  });
});

describe('loadAppPrivateKey', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pass-phrase-123' })
    .toString();
  test.each([
    ['missing', undefined],
    ['empty', ''],
    ['garbage', '-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all secretish0123456789\n-----END RSA PRIVATE KEY-----\n'],
    ['truncated', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAsecretish0123456789\n-----END RSA PRIVATE KEY-----\n'],
    ['an EC key', ec],
    ['passphrase-protected', encrypted],
  ])('%s: 400 invalid_body that does not quote the key', (_name, pem) => {
    try {
      loadAppPrivateKey(pem);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(AppTokenError);
      expect(answerFor(err as AppTokenError)).toMatchObject({ statusCode: 400, code: 'invalid_body' });
      expect((err as Error).message).toMatch(/private key is missing or unusable/);
      expect((err as Error).message).not.toContain('secretish');
      expect((err as Error).message).not.toContain('BEGIN');
    }
  });
});

describe('fetchInstallationToken', () => {
  test('mints a token: POST to the installation URL with a valid app JWT; APP credentials with the answer as raw', async () => {
    const token = await fetchInstallationToken(request());
    expect(gh.requests).toHaveLength(1);
    const [seen] = gh.requests;
    expect(seen.path).toBe('/app/installations/4242/access_tokens');
    expect(seen.refused).toBeUndefined();
    expect(seen.headers).toMatchObject({ accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'Latchkey' });
    expect(token.credentials).toEqual({
      type: 'APP',
      access_token: gh.tokens[0],
      expires_at: token.expiresAt.toISOString(),
      raw: expect.objectContaining({ token: gh.tokens[0], permissions: { contents: 'read', metadata: 'read' }, installation: '4242' }),
    });
    expect(token.credentials).not.toHaveProperty('jwtToken');
    expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
  });

  test('CUSTOM providers use token_url.APP', async () => {
    const provider = custom('fake-gh-oauth', {
      auth_mode: 'CUSTOM',
      token_url: { OAUTH2: `${gh.baseUrl}/login/oauth/access_token`, APP: `${gh.baseUrl}/app/installations/\${connectionConfig.installation_id}/access_tokens` },
    });
    await fetchInstallationToken(request({ provider }));
    expect(gh.requests.map((r) => r.path)).toEqual(['/app/installations/4242/access_tokens']);
    // A CUSTOM provider with a single token URL has no APP URL.
    const single = custom('fake-gh-oauth', { auth_mode: 'CUSTOM', token_url: `${gh.baseUrl}/login/oauth/access_token` });
    expect(await refusal(fetchInstallationToken(request({ provider: single })))).toMatchObject({ statusCode: 400, code: 'invalid_body', message: 'Provider fake-gh-oauth has no APP token URL' });
  });

  test('the installation id stays inside its path segment; a missing one is a 400 before any call', async () => {
    await fetchInstallationToken(request({ connectionConfig: { installation_id: '../../evil?x=1' } })).catch(() => undefined);
    expect(gh.requests.map((r) => r.path)).toEqual(['/app/installations/..%2F..%2Fevil%3Fx%3D1/access_tokens']);
    gh.requests.length = 0;
    expect(await refusal(fetchInstallationToken(request({ connectionConfig: { installation_id: '..' } })))).toMatchObject({ statusCode: 400, code: 'invalid_body' });
    const missing = await refusal(fetchInstallationToken(request({ connectionConfig: {} })));
    expect(missing).toMatchObject({ statusCode: 400, code: 'invalid_body', message: 'Cannot build the installation token URL: Missing value for connectionConfig.installation_id' });
    expect(gh.requests).toHaveLength(0);
  });

  test('a missing app id is the configuration at fault (400), before any call: not the app refused', async () => {
    const err = await fetchInstallationToken(request({ appId: '' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppTokenError);
    expect(err).toMatchObject({ reason: 'app_config', message: expect.stringMatching(/no app_id/) });
    expect(await refusal(fetchInstallationToken(request({ appId: '' })))).toMatchObject({ statusCode: 400, code: 'invalid_body' });
    expect(gh.requests).toHaveLength(0);
  });

  test('provider 4xx (unknown installation, key of another app, wrong app id): 400 connection_test_failed naming the status only', async () => {
    gh.mode = { status: 404 };
    const notFound = await refusal(fetchInstallationToken(request()));
    expect(notFound).toMatchObject({ statusCode: 400, code: 'connection_test_failed', message: 'The provider refused the installation token request (HTTP 404)' });
    gh.mode = 'ok';
    const otherKey = await refusal(fetchInstallationToken(request({ privateKey: rsaKeyPair().privateKeyPem })));
    expect(otherKey).toMatchObject({ statusCode: 400, code: 'connection_test_failed', message: 'The provider refused the installation token request (HTTP 401)' });
    expect(gh.requests.at(-1)?.refused).toBe('signature');
    const otherApp = await refusal(fetchInstallationToken(request({ appId: '999' })));
    expect(otherApp.code).toBe('connection_test_failed');
    expect(gh.requests.at(-1)?.refused).toBe('iss');
    // Logged for operators (status only), and scanned below.
    expect(output.join('')).toContain('Installation token request refused');
    expectNoSecrets(notFound.message, otherKey.message, otherApp.message, JSON.stringify(otherKey));
  });

  test('provider 5xx, an answer without a token, a hang: 502 provider_unavailable', async () => {
    gh.mode = { status: 503 };
    expect(await refusal(fetchInstallationToken(request()))).toMatchObject({ statusCode: 502, code: 'provider_unavailable', message: 'The provider answered the installation token request with HTTP 503' });
    gh.mode = 'no-token';
    expect(await refusal(fetchInstallationToken(request()))).toMatchObject({ statusCode: 502, code: 'provider_unavailable' });
    gh.mode = 'hang';
    const started = Date.now();
    const hung = await refusal(fetchInstallationToken(request({ timeoutMs: 300 })));
    expect(hung).toMatchObject({ statusCode: 502, code: 'provider_unavailable', message: 'The provider could not be reached for an installation token (timeout)' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expectNoSecrets(hung.message);
  });

  test('a custom provider that did not opt in to private networks cannot reach a local host', async () => {
    const provider = custom('fake-gh-public', {
      allow_private_network: false,
      authorization_url: 'https://github.com/apps/x/installations/new',
      token_url: 'https://${connectionConfig.subdomain}.localhost/app/installations/${connectionConfig.installation_id}/access_tokens',
      connection_config: { subdomain: { title: 'Sub' }, installation_id: { title: 'Installation', automated: true } },
    });
    const err = await refusal(fetchInstallationToken(request({ provider, connectionConfig: { subdomain: 'api', installation_id: '1' } })));
    expect(err).toMatchObject({ statusCode: 400, code: 'invalid_body' });
    expect(err.message).toMatch(/not allowed: Host api\.localhost is not a public address/);
    expect(gh.requests).toHaveLength(0);
  });

  test('the catalog github-app goes to api.github.com only: when it cannot be resolved, a clean 502', async () => {
    const provider: ResolvedProvider = { name: 'github-app', provider: CATALOG['github-app'], custom: false };
    // Offline simulated, so the outcome does not depend on this machine's internet access.
    const restore = simulateOffline();
    try {
      const err = await refusal(fetchInstallationToken(request({ provider, timeoutMs: 2_000 })));
      expect(err).toMatchObject({ statusCode: 502, code: 'provider_unavailable' });
      expect(err.message).toMatch(/\(network\)$/);
      expect(gh.requests).toHaveLength(0);
      expectNoSecrets(err.message);
    } finally {
      restore();
    }
  });
});
