import { database } from '../support/handles';
import { CATALOG } from '../../lambdas/providers/catalog';
import { assertHostChoice, HostChoiceError, hostChoosingKeys } from '../../lambdas/providers/host-choice';
import { CustomProviderSchema } from '../../lambdas/providers/provider-schema';
import { connectSession, connectUrl, tableCount } from '../lambdas/connect/connect-fixtures';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';

/**
 * Who chooses the host that receives a secret (issue 14, item 1). The proof of the issue: an end
 * user's `params[hostname]=attacker.example` on GitLab answered 302 to
 * https://attacker.example/oauth/authorize and later POSTed the client secret there. Every case
 * here is refused before any request leaves and before any redirect; hosts are `.example` (only
 * redirected to, never contacted) or `.localhost` (refused by the network policy even on old code).
 */

let t: TestStack;

beforeAll(async () => {
  t = await startTestStack();
  const gitlab = await t.api('/integrations', {
    method: 'POST',
    json: { provider: 'gitlab', unique_key: 'gitlab', credentials: { type: 'OAUTH2', client_id: 'gl-client', client_secret: 'gl-secret-0123456789' } },
  });
  expect(gitlab.status).toBe(200);
  t.secrets.register('gl-secret-0123456789');
  // An API-key provider whose verification request goes to a host the connection config names.
  const keyed = await t.api('/providers/self-hosted-keyed', {
    method: 'PUT',
    json: {
      display_name: 'Self-hosted',
      auth_mode: 'API_KEY',
      connection_config: { host: { title: 'Host', format: 'hostname' } },
      proxy: { base_url: 'https://${connectionConfig.host}/api', headers: { authorization: 'Bearer ${apiKey}' }, verification: { method: 'GET', endpoints: ['/me'] } },
    },
  });
  expect(keyed.status).toBe(201);
  expect((await t.api('/integrations', { method: 'POST', json: { provider: 'self-hosted-keyed', unique_key: 'self-hosted-keyed' } })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

beforeEach(async () => {
  await setAllowedHosts('gitlab', []);
  await database().execute('DELETE FROM oauth_sessions');
});

async function setAllowedHosts(key: string, hosts: string[]) {
  const res = await t.api(`/integrations/${key}`, { method: 'PATCH', json: { allowed_hosts: hosts } });
  expect(res.status).toBe(200);
}

function errorOf(html: string): { errorType: string; message: string } {
  const data = /<script type="application\/json" id="outcome">(.*?)<\/script>/s.exec(html);
  if (!data) throw new Error(`not a callback page: ${html.slice(0, 200)}`);
  return JSON.parse(data[1].replace(/\\u003c/g, '<')) as { errorType: string; message: string };
}

async function failures(): Promise<Array<{ detail: Record<string, unknown> }>> {
  return database().query("SELECT detail FROM audit_events WHERE action = 'connect.failure' ORDER BY occurred_at, id");
}

describe('GitLab: the issue proof', () => {
  test("params[hostname]=attacker.example is refused before any redirect: no Location, no OAuth session, a connect.failure row", async () => {
    const token = await connectSession(t);
    const before = (await failures()).length;
    const res = await fetch(connectUrl(t, 'gitlab', token, '&params[hostname]=attacker.example'), { redirect: 'manual' });
    const html = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(errorOf(html).errorType).toBe('host_not_allowed');
    expect(html).not.toContain('attacker.example/oauth');
    expect(await tableCount('oauth_sessions')).toBe(0);
    const rows = await failures();
    expect(rows).toHaveLength(before + 1);
    expect(rows.at(-1)!.detail).toMatchObject({ flow: 'oauth2', provider_config_key: 'gitlab', error_type: 'host_not_allowed' });
  });

  test('without params[hostname] the provider default (gitlab.com) is used', async () => {
    const token = await connectSession(t);
    const res = await fetch(connectUrl(t, 'gitlab', token), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe('https://gitlab.com');
  });

  test("the backend's connect session default chooses the host, and wins over the browser's", async () => {
    const token = await connectSession(t, { end_user: { id: 'corp' }, integrations_config_defaults: { gitlab: { connection_config: { hostname: 'gitlab.corp.example' } } } });
    const res = await fetch(connectUrl(t, 'gitlab', token, '&params[hostname]=attacker.example'), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).origin).toBe('https://gitlab.corp.example');
    const [session] = await database().query<{ request: Record<string, unknown> }>('SELECT request FROM oauth_sessions');
    expect(session.request).toMatchObject({ connectionConfig: { hostname: 'gitlab.corp.example' }, endUserKeys: [] });
  });

  test("an end user's host on the integration's allowed_hosts is accepted; anything else is refused", async () => {
    await setAllowedHosts('gitlab', ['gitlab.acme.example', '*.tenants.example']);
    const token = await connectSession(t);
    const go = (host: string) => fetch(connectUrl(t, 'gitlab', token, `&params[hostname]=${host}`), { redirect: 'manual' });
    for (const host of ['gitlab.acme.example', 'GitLab.Acme.Example', 'a.tenants.example', 'deep.a.tenants.example']) {
      const res = await go(host);
      expect([host, res.status]).toEqual([host, 302]);
      expect(new URL(res.headers.get('location')!).hostname).toBe(host.toLowerCase());
    }
    for (const host of ['gitlab.acme.example.attacker.example', 'acme.example', 'tenants.example', 'xtenants.example', 'attacker.example']) {
      const res = await go(host);
      expect([host, res.status, res.headers.get('location')]).toEqual([host, 400, null]);
    }
  });

  test('the declared format is checked: hostname values with a path, port, user, scheme or IP literal are refused', async () => {
    await setAllowedHosts('gitlab', ['*.acme.example']);
    const token = await connectSession(t);
    for (const value of ['git.acme.example/x', 'git.acme.example:8443', 'u@git.acme.example', 'https://git.acme.example', '127.0.0.1', '8.8.8.8']) {
      const res = await fetch(connectUrl(t, 'gitlab', token, `&params[hostname]=${encodeURIComponent(value)}`), { redirect: 'manual' });
      expect([value, res.status, res.headers.get('location')]).toEqual([value, 400, null]);
      expect(errorOf(await res.text()).errorType).toBe('invalid_connection_config');
    }
  });

  test('allowed_hosts is validated, normalised, shown, and audited with old and new values', async () => {
    const bad = await readJson(await t.api('/integrations/gitlab', { method: 'PATCH', json: { allowed_hosts: ['*.com'] } }));
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_body']);
    for (const entry of ['https://x.example', 'x.example/path', '10.0.0.1', '*', 'x.example:443']) {
      expect((await t.api('/integrations/gitlab', { method: 'PATCH', json: { allowed_hosts: [entry] } })).status).toBe(400);
    }
    await setAllowedHosts('gitlab', ['Git.Acme.Example', 'git.acme.example']);
    const got = await readJson(await t.api('/integrations/gitlab'));
    expect(got.body.data.allowed_hosts).toEqual(['git.acme.example']);
    const [event] = await database().query<{ detail: Record<string, unknown> }>(
      "SELECT detail FROM audit_events WHERE action = 'integration.update' ORDER BY occurred_at DESC, id DESC LIMIT 1",
    );
    expect(event.detail).toMatchObject({ fields: ['allowed_hosts'], allowed_hosts: { old: [], new: ['git.acme.example'] } });
  });

  test('setting allowed_hosts needs environment:integrations:read_credentials', async () => {
    const created = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'integrations-writer', scopes: ['environment:integrations:update', 'environment:integrations:read'] } }));
    const key = created.body.data.secret as string;
    t.secrets.register(key);
    const res = await readJson(await t.api('/integrations/gitlab', { method: 'PATCH', key, json: { allowed_hosts: ['*.attacker.example'] } }));
    expect([res.status, res.body.error.code]).toEqual([403, 'forbidden']);
    const [row] = await database().query<{ allowed_hosts: string[] }>("SELECT allowed_hosts FROM integrations WHERE unique_key = 'gitlab' AND deleted_at IS NULL");
    expect(row.allowed_hosts).toEqual([]);
  });

  test('the code exchange re-checks the host against the allowlist as it is then: removed meanwhile → refused, nothing sent', async () => {
    await setAllowedHosts('gitlab', ['gitlab.acme.localhost']);
    const token = await connectSession(t);
    const res = await fetch(connectUrl(t, 'gitlab', token, '&params[hostname]=gitlab.acme.localhost'), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
    const cookie = res.headers.getSetCookie()[0].split(';')[0];
    await setAllowedHosts('gitlab', []);
    const callback = await fetch(`${t.baseUrl}/oauth/callback?state=${state}&code=abc`, { headers: { cookie } });
    expect(callback.status).toBe(400);
    // Old code reached the exchange (token_exchange_failed: the network policy refused .localhost).
    expect(errorOf(await callback.text()).errorType).toBe('host_not_allowed');
    expect(await tableCount('connections')).toBe(0);
  });
});

describe('credential verification requests', () => {
  test("an end user's host for an API-key verification is refused before the request (host_not_allowed, not a network error)", async () => {
    const token = await connectSession(t);
    const before = await tableCount('connections');
    const res = await readJson(
      await fetch(`${t.baseUrl}/api-auth/api-key/self-hosted-keyed?connect_session_token=${token}&params[host]=evil.localhost`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: 'key-0123456789' }),
      }),
    );
    expect([res.status, res.body.error.code]).toEqual([400, 'host_not_allowed']);
    expect(await tableCount('connections')).toBe(before);
  });
});

describe('the shared check (also for the proxy)', () => {
  test('host-choosing keys of the catalog: whole hosts and origins, not labels under a fixed domain', () => {
    expect([...hostChoosingKeys(CATALOG.gitlab)]).toEqual(['hostname']);
    expect([...hostChoosingKeys(CATALOG.salesforce)].sort()).toEqual(['hostname', 'instance_url']);
    expect(hostChoosingKeys(CATALOG.zendesk).size).toBe(0);
  });

  const provider = (url: string) =>
    CustomProviderSchema.parse({ display_name: 'x', auth_mode: 'OAUTH2', authorization_url: 'https://fixed.example/auth', token_url: url, connection_config: { a: { title: 'a' }, b: { title: 'b' } } });

  test.each([
    ['https://${connectionConfig.a}.example.com/token', true],
    ['https://api-${connectionConfig.a}.example.com/token', true],
    ['https://${connectionConfig.a}.com/token', false],
    ['https://${connectionConfig.a}-api.com/token', false],
    ['https://${connectionConfig.a}.${connectionConfig.b}/token', false],
    ['https://${connectionConfig.a}/token', false],
    ['${connectionConfig.a}/token', false],
  ])('%s: an end-user value is accepted without allowlist → %s', (url, accepted) => {
    const p = provider(url);
    const value = url.startsWith('${') ? 'https://evil.example' : url.includes('${connectionConfig.a}/') ? 'evil.example' : 'evil';
    const run = () => assertHostChoice({ provider: p, connectionConfig: { a: value, b: 'example' }, endUserKeys: ['a', 'b'], allowedHosts: [] });
    if (accepted) expect(run).not.toThrow();
    else expect(run).toThrow(HostChoiceError);
  });

  test('values from the backend are trusted; the same value from the end user needs the allowlist', () => {
    const p = provider('https://${connectionConfig.a}/token');
    expect(() => assertHostChoice({ provider: p, connectionConfig: { a: 'h.example' }, endUserKeys: [], allowedHosts: [] })).not.toThrow();
    expect(() => assertHostChoice({ provider: p, connectionConfig: { a: 'h.example' }, endUserKeys: ['a'], allowedHosts: ['h.example'] })).not.toThrow();
    expect(() => assertHostChoice({ provider: p, connectionConfig: { a: 'h.example' }, endUserKeys: ['a'], allowedHosts: ['other.example'] })).toThrow(HostChoiceError);
  });
});
