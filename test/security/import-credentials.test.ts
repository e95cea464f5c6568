import { database } from '../support/handles';
import { Nango } from '@nangohq/node';
import type { AxiosError } from 'axios';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { startFakeGithub, type FakeGithub } from '../lambdas/connections/fake-github';
import { insertIntegration } from '../lambdas/connections/fixtures';

/*
 * Issue 14, item 2: a key that may create connections but not read credentials must not get
 * credentials out of POST /connections, least of all the fresh installation token an APP/CUSTOM
 * import mints. A key that may read them gets them, and the read is audited like GET's.
 */

let t: TestStack;
let gh: FakeGithub;
let createOnly: string;
let createAndRead: string;

async function newKey(name: string, scopes: string[]): Promise<string> {
  const res = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: name, scopes } }));
  expect(res.status).toBe(201);
  t.secrets.register(res.body.data.secret);
  return res.body.data.secret;
}

const post = async (body: unknown, key: string) => readJson(await t.api('/connections', { method: 'POST', json: body, key }));
const auditActions = (connectionId: string) =>
  database().query<{ action: string; actor_id: string; detail: Record<string, unknown> }>(
    "SELECT action, actor_id, detail FROM audit_events WHERE detail->>'connection_id' = :cid ORDER BY occurred_at, id",
    { cid: connectionId },
  );

beforeAll(async () => {
  t = await startTestStack();
  gh = await startFakeGithub('271828');
  const pem = gh.privateKeyPem;
  t.secrets.register(...pem.split('\n').filter((line) => line.length >= 40));
  const put = async (path: string, body: unknown) => expect([200, 201]).toContain((await t.api(path, { method: path.startsWith('/providers') ? 'PUT' : 'POST', json: body })).status);
  await put('/providers/fake-github', {
    display_name: 'Fake GitHub App',
    auth_mode: 'APP',
    authorization_url: `http://127.0.0.1:${gh.port}/apps/x/installations/new`,
    token_url: `http://127.0.0.1:${gh.port}/app/installations/\${connectionConfig.installation_id}/access_tokens`,
    connection_config: { installation_id: { title: 'Installation id', automated: true } },
    allow_private_network: true,
  });
  await put('/integrations', { provider: 'fake-github', unique_key: 'gh-app', credentials: { type: 'APP', app_id: gh.appId, app_link: 'https://github.com/apps/fake', private_key: pem } });
  await insertIntegration('dev', 'github', 'github');
  await insertIntegration('dev', 'openai', 'openai');
  await insertIntegration('dev', 'twilio', 'twilio');
  createOnly = await newKey('create only', ['environment:connections:create']);
  createAndRead = await newKey('create and read', ['environment:connections:create', 'environment:connections:read_credentials']);
});
afterAll(async () => {
  t.secrets.register(...gh.tokens);
  await gh.stop();
  await t.stop();
});

const appImport = (connectionId: string) => ({ provider_config_key: 'gh-app', connection_id: connectionId, credentials: { type: 'APP', app_id: gh.appId, installation_id: '77' } });

describe('POST /connections without the credentials scope', () => {
  test('an APP import answers 201 without the minted installation token, and GET still refuses the key', async () => {
    const res = await post(appImport('app-create-only'), createOnly);
    expect(res.status).toBe(201);
    expect(gh.tokens).toHaveLength(1);
    expect(res.body.credentials).toEqual({});
    expect(JSON.stringify(res.body)).not.toContain(gh.tokens[0]);
    expect(res.body).toMatchObject({ connection_id: 'app-create-only', provider_config_key: 'gh-app' });

    // The proof's other half: the same key may not read the connection with the real SDK.
    const sdk = new Nango({ secretKey: createOnly, host: t.baseUrl });
    const refused = (await sdk.getConnection('gh-app', 'app-create-only').catch((err: unknown) => err)) as AxiosError;
    expect(refused.response?.status).toBe(403);
    expect((await auditActions('app-create-only')).map((a) => a.action)).toEqual(['connection.import']);
  });

  test.each([
    ['github', { type: 'OAUTH2', access_token: 'oauth-access-token-0001', refresh_token: 'oauth-refresh-token-0001' }],
    ['openai', { type: 'API_KEY', apiKey: 'sk-imported-api-key-0001' }],
    ['twilio', { type: 'BASIC', username: 'AC00000000', password: 'basic-password-0001' }],
  ])('a %s import (caller-supplied credentials) answers credentials {} as well', async (pck, credentials) => {
    t.secrets.register(...Object.values(credentials).filter((v) => v.length >= 12));
    const res = await post({ provider_config_key: pck, connection_id: `${pck}-create-only`, credentials }, createOnly);
    expect(res.status).toBe(201);
    expect(res.body.credentials).toEqual({});
    for (const value of Object.values(credentials)) if (value.length >= 12) expect(JSON.stringify(res.body)).not.toContain(value);
  });
});

describe('POST /connections with the credentials scope', () => {
  test('the minted token comes back, and the import writes a credential-read audit row with it', async () => {
    const before = gh.tokens.length;
    const res = await post(appImport('app-create-read'), createAndRead);
    expect(res.status).toBe(201);
    expect(res.body.credentials).toMatchObject({ type: 'APP', access_token: gh.tokens[before] });
    const audit = await auditActions('app-create-read');
    expect(audit.map((a) => a.action).sort()).toEqual(['connection.credentials.read', 'connection.import']);
    expect(audit.find((a) => a.action === 'connection.credentials.read')).toMatchObject({ detail: { via: 'import', provider_config_key: 'gh-app' } });
  });

  test('an override by import is audited as a read as well', async () => {
    const res = await post(appImport('app-create-read'), createAndRead);
    expect(res.status).toBe(201);
    const reads = (await auditActions('app-create-read')).filter((a) => a.action === 'connection.credentials.read');
    expect(reads).toHaveLength(2);
  });
});
