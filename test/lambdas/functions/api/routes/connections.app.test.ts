import { database, envelopeCipher } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import { AppTokenError } from '../../../../../lambdas/connections/errors';
import { answerFor } from '../../../../../lambdas/http/error-table';
import { importConnection as importDirect } from '../../../../../lambdas/connections/connection-import';
import { openCredentials } from '../../../../../lambdas/connections/credentials';
import { ProviderRegistry } from '../../../../../lambdas/providers/provider-registry';
import { rejection } from '../../../../support/rejection';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';
import { rsaKeyPair, startFakeGithub, type FakeGithub } from '../../../connections/fake-github';
import { connectionRow, environmentId, snapshot } from '../../../connections/fixtures';
import { simulateOffline } from '../../../../support/offline-resolver';

/* POST /connections with APP and CUSTOM credentials: the installation-token exchange, end to end. */

let t: TestStack;
let gh: FakeGithub;
let nango: Nango;
let devId: string;
const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
const json = readJson;

const tokenUrl = () => `http://127.0.0.1:${gh.port}/app/installations/\${connectionConfig.installation_id}/access_tokens`;
const installationField = { installation_id: { title: 'Installation id', automated: true } };

async function put(path: string, body: unknown, expected: number[]) {
  const res = await json(await t.api(path, { method: path.startsWith('/providers') ? 'PUT' : 'POST', json: body }));
  expect(expected).toContain(res.status);
  return res;
}

/** Registers a private key with the leak scan: whole, and each base64 line (it might be logged JSON-escaped). */
function registerKey(pem: string) {
  t.secrets.register(pem, ...pem.split('\n').filter((line) => line.length >= 40));
}

beforeAll(async () => {
  t = await startTestStack();
  gh = await startFakeGithub('314159');
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  devId = await environmentId('dev');
  registerKey(gh.privateKeyPem);
  const wrongKey = rsaKeyPair().privateKeyPem;
  registerKey(wrongKey);

  await put('/providers/fake-github', {
    display_name: 'Fake GitHub App',
    auth_mode: 'APP',
    authorization_url: `http://127.0.0.1:${gh.port}/apps/x/installations/new`,
    token_url: tokenUrl(),
    connection_config: installationField,
    proxy: { base_url: `http://127.0.0.1:${gh.port}` },
    allow_private_network: true,
  }, [201]);
  await put('/providers/fake-github-oauth', {
    display_name: 'Fake GitHub App with user authorization',
    auth_mode: 'CUSTOM',
    authorization_url: `http://127.0.0.1:${gh.port}/apps/x/installations/new`,
    token_url: { OAUTH2: `http://127.0.0.1:${gh.port}/login/oauth/access_token`, APP: tokenUrl() },
    connection_config: installationField,
    allow_private_network: true,
  }, [201]);
  const app = (privateKey: string) => ({ type: 'APP', app_id: gh.appId, app_link: 'https://github.com/apps/fake', private_key: privateKey });
  await put('/integrations', { provider: 'fake-github', unique_key: 'gh-app', credentials: app(gh.privateKeyPem) }, [200]);
  await put('/integrations', { provider: 'fake-github', unique_key: 'gh-wrong-key', credentials: app(wrongKey) }, [200]);
  await put('/integrations', { provider: 'github-app', unique_key: 'gh-catalog', credentials: app(gh.privateKeyPem) }, [200]);
  await put('/integrations', {
    provider: 'fake-github-oauth',
    unique_key: 'gh-custom',
    credentials: { ...app(gh.privateKeyPem), type: 'CUSTOM', client_id: 'Iv1.fakeclient', client_secret: 'fake-client-secret-0123456789' },
  }, [200]);
  t.secrets.register('fake-client-secret-0123456789');
});
afterAll(async () => {
  // Every JWT we signed and every token handed out must stay out of logs and audit rows.
  t.secrets.register(...gh.tokens, ...gh.requests.map((r) => r.jwt ?? '').filter((jwt) => jwt.length >= 12));
  await gh.stop();
  await t.stop();
});
beforeEach(() => {
  gh.mode = 'ok';
  gh.requests.length = 0;
});

const appImport = (pck: string, connectionId: string, installationId = '4242', extra: Record<string, unknown> = {}) => ({
  provider_config_key: pck,
  connection_id: connectionId,
  credentials: { type: pck === 'gh-custom' ? 'CUSTOM' : 'APP', app_id: gh.appId, installation_id: installationId },
  ...extra,
});
const post = async (body: unknown, key?: string) => json(await t.api('/connections', { method: 'POST', json: body, key }));

/** No response body may hold a key, JWT or token. */
function expectNoSecrets(body: unknown) {
  const text = JSON.stringify(body);
  for (const line of gh.privateKeyPem.split('\n').filter((l) => l.length >= 40)) expect(text).not.toContain(line);
  for (const r of gh.requests) if (r.jwt) expect(text).not.toContain(r.jwt);
  for (const token of gh.tokens) expect(text).not.toContain(token);
}

describe('POST /connections with APP credentials', () => {
  test('201: mints an installation token with a valid app JWT and stores it like any credentials', async () => {
    const res = await post(appImport('gh-app', 'app-1', '4242', { connection_config: { team: 'red' }, metadata: { m: 1 } }));
    expect(res.status).toBe(201);
    expect(gh.requests).toHaveLength(1);
    expect(gh.requests[0]).toMatchObject({ path: '/app/installations/4242/access_tokens', refused: undefined, claims: { iss: gh.appId } });
    const [token] = gh.tokens;
    expect(res.body).toMatchObject({ connection_id: 'app-1', provider_config_key: 'gh-app', provider: 'fake-github', metadata: { m: 1 } });
    expect(res.body.connection_config).toEqual({ team: 'red', app_id: gh.appId, installation_id: '4242' });
    expect(res.body.credentials).toEqual({
      type: 'APP',
      access_token: token,
      expires_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/),
      raw: expect.objectContaining({ token, permissions: { contents: 'read', metadata: 'read' }, repository_selection: 'all' }),
    });
    // The app's own JWT is not kept anywhere on the connection.
    expect(JSON.stringify(res.body)).not.toContain(gh.requests[0].jwt);

    const row = await connectionRow('gh-app', 'app-1');
    expect(row.credentials_expires_at?.toISOString()).toBe(res.body.credentials.expires_at);
    expect(row.credentials?.includes(Buffer.from(token))).toBe(false);
    expect(await openCredentials(envelopeCipher(), devId, row)).toEqual(res.body.credentials);
    const [event] = await database().query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE action = 'connection.import' AND target_id = :id",
      { id: row.id },
    );
    expect(event.detail).toEqual({ provider_config_key: 'gh-app', connection_id: 'app-1', operation: 'creation', credentials_type: 'APP' });
  });

  test('the Nango SDK reads it back: getToken gives the APP credentials object, getConnection the same', async () => {
    await post(appImport('gh-app', 'app-sdk', '77'));
    const token = gh.tokens.at(-1);
    const credentials = (await nango.getToken('gh-app', 'app-sdk')) as unknown as Record<string, unknown>;
    expect(credentials).toMatchObject({ type: 'APP', access_token: token });
    const connection = (await nango.getConnection('gh-app', 'app-sdk')) as unknown as Record<string, any>;
    expect(connection.credentials.access_token).toBe(token);
    expect(connection.connection_config).toEqual({ app_id: gh.appId, installation_id: '77' });
  });

  test('importing again overrides the connection with a fresh token', async () => {
    const first = await post(appImport('gh-app', 'app-2', '1'));
    const second = await post(appImport('gh-app', 'app-2', '2'));
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.credentials.access_token).not.toBe(first.body.credentials.access_token);
    expect(second.body.connection_config).toEqual({ app_id: gh.appId, installation_id: '2' });
    expect(gh.requests.map((r) => r.path)).toEqual(['/app/installations/1/access_tokens', '/app/installations/2/access_tokens']);
  });

  test('CUSTOM credentials mint the app token at token_url.APP (user tokens come with the OAuth flow)', async () => {
    const res = await post(appImport('gh-custom', 'custom-1', '99'));
    expect(res.status).toBe(201);
    expect(gh.requests.map((r) => r.path)).toEqual(['/app/installations/99/access_tokens']);
    expect(res.body.credentials).toMatchObject({ type: 'APP', access_token: gh.tokens.at(-1) });
    expect(res.body.connection_config).toEqual({ app_id: gh.appId, installation_id: '99' });
  });

  test('statements: the exchange adds none (lookup + custom provider + write), and no KMS call when warm', async () => {
    await post(appImport('gh-app', 'warm'));
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    expect((await post(appImport('gh-app', 'count'))).status).toBe(201);
    expect(sum(t.stack.dataApi.control.stats().calls)).toBe(3);
    expect(sum(t.stack.kms.control.stats().calls)).toBe(0);
  });
});

describe('refusals write nothing and leak nothing', () => {
  test('the provider refuses (401): 400 connection_test_failed naming the status only', async () => {
    const before = await snapshot();
    gh.mode = { status: 401 };
    const res = await post(appImport('gh-app', 'refused'));
    expect(res).toEqual({ status: 400, body: { error: { code: 'connection_test_failed', message: 'The provider refused the installation token request (HTTP 401)' } } });
    expect(gh.requests).toHaveLength(1);
    expectNoSecrets(res.body);
    expect(await snapshot()).toEqual(before);
  });

  test("the integration's key is not the app's: GitHub refuses the signature, 400 connection_test_failed", async () => {
    const before = await snapshot();
    const res = await post(appImport('gh-wrong-key', 'wrong-key'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('connection_test_failed');
    expect(gh.requests[0].refused).toBe('signature');
    expectNoSecrets(res.body);
    expect(await snapshot()).toEqual(before);
  });

  test('5xx: 502 provider_unavailable', async () => {
    const before = await snapshot();
    gh.mode = { status: 500 };
    expect(await post(appImport('gh-app', 'five'))).toEqual({
      status: 502,
      body: { error: { code: 'provider_unavailable', message: 'The provider answered the installation token request with HTTP 500' } },
    });
    expect(await snapshot()).toEqual(before);
  });

  test('a provider that hangs hits the deadline: 502 provider_unavailable (timeout), nothing written', async () => {
    const before = await snapshot();
    gh.mode = 'hang';
    const deps = { db: database(), cipher: envelopeCipher(), registry: new ProviderRegistry(), providerTimeoutMs: 300 };
    const started = Date.now();
    const err = await rejection<AppTokenError>(importDirect(deps, devId, appImport('gh-app', 'hang') as never, new Date()));
    expect(err).toBeInstanceOf(AppTokenError);
    expect(answerFor(err)).toMatchObject({ statusCode: 502, code: 'provider_unavailable', message: 'The provider could not be reached for an installation token (timeout)' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await snapshot()).toEqual(before);
  });

  test('credentials.app_id other than the integration app: 400 invalid_body before any call', async () => {
    const res = await post({ ...appImport('gh-app', 'other-app'), credentials: { type: 'APP', app_id: '999', installation_id: '1' } });
    expect(res).toEqual({ status: 400, body: { error: { code: 'invalid_body', message: "credentials.app_id does not match the integration's app_id" } } });
    expect(gh.requests).toHaveLength(0);
  });

  test('an installation id that would leave its path segment is encoded, ".." refused', async () => {
    gh.mode = { status: 404 };
    expect((await post(appImport('gh-app', 'traverse', '../../users'))).status).toBe(400);
    expect(gh.requests.map((r) => r.path)).toEqual(['/app/installations/..%2F..%2Fusers/access_tokens']);
    const dots = await post(appImport('gh-app', 'dots', '..'));
    expect(dots.status).toBe(400);
    expect(dots.body.error.code).toBe('invalid_body');
    expect(gh.requests).toHaveLength(1);
  });

  test('the catalog github-app only goes to https://api.github.com: when it cannot be resolved, a clean 502 and nothing stored', async () => {
    const before = await snapshot();
    // Offline simulated, so the outcome does not depend on this machine's internet access.
    const restore = simulateOffline();
    try {
      const res = await post(appImport('gh-catalog', 'catalog'));
      expect(res.status).toBe(502);
      expect(res.body.error.code).toBe('provider_unavailable');
      expect(res.body.error.message).toMatch(/\(network\)$/);
    } finally {
      restore();
    }
    expect(gh.requests).toHaveLength(0);
    expect(await snapshot()).toEqual(before);
  });

  test("another environment's key does not see the integration: 404", async () => {
    const res = await post(appImport('gh-app', 'cross'), t.prodKey);
    expect(res).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'Integration does not exist' } } });
    expect(gh.requests).toHaveLength(0);
  });

  test('error log lines name the provider and status, never a secret', () => {
    const lines = t.logLines().filter((line) => line.includes('Installation token'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expectNoSecrets(line);
  });
});

describe('installation tokens are renewed like any expiring credentials', () => {
  const read = async (connectionId: string, query = '') => json(await t.api(`/connections/${connectionId}?provider_config_key=gh-app${query}`));

  test('a fresh token is served as it is; refresh_github_app_jwt_token (or force_refresh) mints a new one, stored and versioned', async () => {
    expect((await post(appImport('gh-app', 'renew-1'))).status).toBe(201);
    const first = gh.tokens.at(-1);
    gh.requests.length = 0;
    expect((await read('renew-1')).body.credentials.access_token).toBe(first);
    expect(gh.requests).toHaveLength(0);

    for (const flag of ['&refresh_github_app_jwt_token=true', '&force_refresh=true']) {
      const before = gh.tokens.length;
      const res = await read('renew-1', flag);
      expect(res.status).toBe(200);
      expect(gh.tokens).toHaveLength(before + 1);
      expect(res.body.credentials).toMatchObject({ type: 'APP', access_token: gh.tokens.at(-1) });
      expect((await read('renew-1')).body.credentials.access_token).toBe(gh.tokens.at(-1));
    }
    expect(gh.requests.every((r) => r.path === '/app/installations/4242/access_tokens' && !r.refused)).toBe(true);
  });

  test('a token within the refresh window is renewed on a plain read, with the integration key', async () => {
    // A token that expires in 5 minutes is inside the 15-minute window.
    gh.tokenLifetimeMs = 5 * 60_000;
    expect((await post(appImport('gh-app', 'renew-2'))).status).toBe(201);
    gh.tokenLifetimeMs = 3_600_000;
    const old = gh.tokens.at(-1);
    const res = await read('renew-2');
    expect(res.body.credentials.access_token).not.toBe(old);
    expect(res.body.credentials.access_token).toBe(gh.tokens.at(-1));
    // The renewed one has an hour: the next read serves it as it is.
    const before = gh.tokens.length;
    expect((await read('renew-2')).body.credentials.access_token).toBe(gh.tokens.at(-1));
    expect(gh.tokens).toHaveLength(before);
  });

  test('GitHub refusing the installation (uninstalled): 400 invalid_credentials, then the cooldown; needs re-authorization', async () => {
    expect((await post(appImport('gh-app', 'renew-3'))).status).toBe(201);
    gh.mode = { status: 404 };
    const failed = await read('renew-3', '&force_refresh=true');
    expect(failed.status).toBe(400);
    expect(failed.body.error.code).toBe('invalid_credentials');
    const [row] = await database().query<{ auth_error: Record<string, unknown> | null }>("SELECT auth_error FROM connections WHERE connection_id = 'renew-3'");
    expect(row.auth_error).toMatchObject({ type: 'refresh', kind: 'invalid_grant' });
    expectNoSecrets(failed.body);
  });
});
