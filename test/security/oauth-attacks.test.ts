import { database, envelopeCipher } from '../support/handles';
import http from 'node:http';
import fc from 'fast-check';
import { oauthSessionBinding } from '../../lambdas/connect/oauth-session-store';
import { HttpBrowser } from '../support/http-browser';
import type { TestStack } from '../support/local-stack';
import { authorizeUntilCallback, connectSession, connectUrl, outboxRows, startOAuthWorld, tableCount, type OAuthWorld } from '../lambdas/connect/connect-fixtures';

/**
 * The classic OAuth attacks and mistakes against the connect flow. After each, nothing is stored,
 * the state cannot be used again, and the browser sees a clear error page.
 */

let t: TestStack;

let world: OAuthWorld;

beforeAll(async () => {
  world = await startOAuthWorld({ oidc: {}, other: {} });
  ({ t } = world);
}, 60_000);

// Flows a test leaves unfinished must not be mistaken for the next test's.
beforeEach(() => database().execute('DELETE FROM oauth_sessions'));

afterAll(() => world?.stop());

/** The error page's type and message. */
function errorOf(html: string): { errorType: string; message: string } {
  const data = /<script type="application\/json" id="outcome">(.*?)<\/script>/s.exec(html);
  if (!data) throw new Error(`not a callback page: ${html.slice(0, 200)}`);
  const { errorType, message } = JSON.parse(data[1].replace(/\\u003c/g, '<')) as { errorType: string; message: string };
  return { errorType, message };
}

function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, headers: res.headers });
    }).on('error', reject);
  });
}

/** Runs `attack` and checks that no connection appeared. */
async function storesNothing(attack: () => Promise<void>): Promise<void> {
  const before = await tableCount('connections');
  await attack();
  expect(await tableCount('connections')).toBe(before);
}

async function startedFlow(browser = new HttpBrowser(), pck = 'oidc', token?: string) {
  const session = token ?? (await connectSession(t));
  const callback = await authorizeUntilCallback(browser, t, connectUrl(t, pck, session));
  return { browser, callback, session };
}

test('a state works once: the replayed callback is refused and stores nothing more', async () => {
  const { browser, callback } = await startedFlow();
  const first = await browser.open(callback.href);
  expect(first.status).toBe(200);
  await storesNothing(async () => {
    const replay = await browser.open(callback.href);
    expect(replay.status).toBe(400);
    expect(errorOf(replay.html).errorType).toBe('invalid_state');
  });
});

test("a callback carrying another browser's state (login CSRF) is refused and spends that state", async () => {
  // The attacker starts a flow in their browser and lures the victim to its callback URL.
  const { callback } = await startedFlow();
  const victim = new HttpBrowser();
  await storesNothing(async () => {
    const page = await victim.open(callback.href);
    expect(page.status).toBe(400);
    expect(errorOf(page.html)).toEqual({ errorType: 'state_cookie_err', message: expect.stringContaining('another browser') });
  });
  expect(await tableCount('oauth_sessions')).toBe(0);
});

test("a state of one connect session cannot be finished with another session's cookie", async () => {
  const a = await startedFlow();
  const b = await startedFlow();
  // B's browser (B's cookie) with A's state.
  await storesNothing(async () => {
    const page = await b.browser.open(a.callback.href);
    expect(errorOf(page.html).errorType).toBe('state_cookie_err');
  });
});

test('an unknown, forged or missing state is refused without touching anything', async () => {
  await storesNothing(async () => {
    for (const query of ['state=forged&code=abc', 'code=abc', '']) {
      const page = await new HttpBrowser().open(`${t.baseUrl}/oauth/callback?${query}`);
      expect(page.status).toBe(400);
      expect(errorOf(page.html).errorType).toBe('invalid_state');
    }
  });
});

test('an expired OAuth session is refused', async () => {
  const { browser, callback } = await startedFlow();
  await database().execute("UPDATE oauth_sessions SET expires_at = now() - interval '1 second'");
  await storesNothing(async () => {
    const page = await browser.open(callback.href);
    expect(errorOf(page.html)).toEqual({ errorType: 'invalid_state', message: expect.stringContaining('10 minutes') });
  });
});

test('a wrong or missing PKCE verifier makes the provider refuse the code: token_exchange_failed, nothing stored', async () => {
  for (const tamper of ['wrong', 'missing'] as const) {
    const { browser, callback } = await startedFlow();
    const [row] = await database().query<{ id: string; environment_id: string }>('SELECT id, environment_id FROM oauth_sessions');
    const secrets = tamper === 'wrong' ? await envelopeCipher().encryptJson({ code_verifier: 'x'.repeat(43) }, oauthSessionBinding(row.environment_id, row.id)) : null;
    await database().execute('UPDATE oauth_sessions SET secrets = :secrets WHERE id = CAST(:id AS uuid)', { secrets, id: row.id });
    await storesNothing(async () => {
      const page = await browser.open(callback.href);
      expect(page.status).toBe(400);
      expect(errorOf(page.html)).toEqual({ errorType: 'token_exchange_failed', message: expect.stringContaining('invalid_grant') });
    });
  }
});

test('an envelope moved from another OAuth session does not decrypt', async () => {
  const a = await startedFlow();
  const b = await startedFlow();
  await database().execute(
    `UPDATE oauth_sessions SET secrets = (SELECT secrets FROM oauth_sessions o WHERE o.id <> oauth_sessions.id LIMIT 1)`,
  );
  const page = await b.browser.open(b.callback.href);
  // Tampered storage is our fault, not the caller's: a 500 page, nothing stored.
  expect(page.status).toBe(500);
  expect(errorOf(page.html).errorType).toBe('generic_error_support');
  void a;
});

test('a code used once cannot be used with a new state', async () => {
  const { browser, callback } = await startedFlow();
  expect((await browser.open(callback.href)).status).toBe(200);
  const second = await startedFlow(browser);
  const reused = new URL(second.callback);
  reused.searchParams.set('code', callback.searchParams.get('code')!);
  await storesNothing(async () => {
    const page = await browser.open(reused.href);
    expect(errorOf(page.html).errorType).toBe('token_exchange_failed');
  });
});

test('the end user denying access shows the provider error, records a failed auth event, and stores nothing', async () => {
  const token = await connectSession(t, { end_user: { id: 'denier' }, webhook_url_override: 'https://hooks.example.com/override' });
  const browser = new HttpBrowser();
  await storesNothing(async () => {
    const signIn = await browser.open(connectUrl(t, 'oidc', token));
    const consent = await browser.submit(signIn, '/login', { login: 'bob', password: 'correct horse' });
    const page = await browser.submit(consent, '/abort');
    expect(page.status).toBe(400);
    expect(errorOf(page.html)).toEqual({ errorType: 'callback_err', message: expect.stringContaining('access_denied (The user denied access)') });
  });
  const failed = (await outboxRows()).filter((e) => e.payload.success === false && e.payload.error && (e.payload.error as { type: string }).type === 'callback_err');
  expect(failed.at(-1)!.payload).toMatchObject({ type: 'auth', operation: 'creation', success: false, providerConfigKey: 'oidc', connectionId: '', _webhook_url_override: 'https://hooks.example.com/override' });
  const [audit] = await database().query<{ outcome: string; detail: Record<string, unknown> }>(
    "SELECT outcome, detail FROM audit_events WHERE action = 'connect.failure' AND detail->>'error_type' = 'callback_err' ORDER BY occurred_at DESC LIMIT 1",
  );
  expect(audit).toMatchObject({ outcome: 'failure', detail: { flow: 'oauth2', provider_config_key: 'oidc' } });
});

test('an integration the session does not allow, and an unknown one, are refused before any state exists', async () => {
  const token = await connectSession(t, { end_user: { id: 'u' }, allowed_integrations: ['oidc'] });
  for (const [pck, status, type] of [['other', 400, 'integration_not_allowed'], ['nope', 400, 'integration_not_allowed']] as const) {
    const page = await new HttpBrowser().open(connectUrl(t, pck, token));
    expect(page.status).toBe(status);
    expect(errorOf(page.html).errorType).toBe(type);
  }
  const open = await connectSession(t);
  const page = await new HttpBrowser().open(connectUrl(t, 'nope', open));
  expect([page.status, errorOf(page.html).errorType]).toEqual([404, 'unknown_provider_config']);
  expect(await tableCount('oauth_sessions')).toBe(0);
});

test('an expired or deleted session token cannot start or finish a flow', async () => {
  const expired = await connectSession(t);
  await database().execute("UPDATE connect_sessions SET expires_at = now() - interval '1 second'");
  const page = await new HttpBrowser().open(connectUrl(t, 'oidc', expired));
  expect([page.status, errorOf(page.html).errorType]).toEqual([401, 'unknown_connect_session_token']);

  // Deleted after the redirect: its OAuth session goes with it, so the callback finds nothing.
  const { browser, callback, session } = await startedFlow();
  const del = await fetch(`${t.baseUrl}/connect/session`, { method: 'DELETE', headers: { authorization: `Bearer ${session}` } });
  expect(del.status).toBe(204);
  await storesNothing(async () => {
    expect(errorOf((await browser.open(callback.href)).html).errorType).toBe('invalid_state');
  });
  const missing = await new HttpBrowser().open(`${t.baseUrl}/oauth/connect/oidc`);
  expect([missing.status, errorOf(missing.html).errorType]).toEqual([401, 'missing_connect_session_token']);
});

test('the redirect_uri comes from configuration: a forged Host header, or an authorization_params override, cannot move it', async () => {
  const token = await connectSession(t);
  // node:http, because fetch does not let a caller choose the Host header.
  const res = await rawGet(connectUrl(t, 'oidc', token), { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.location!);
  expect(location.searchParams.get('redirect_uri')).toBe(`${t.baseUrl}/oauth/callback`);
  expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  expect(res.headers['set-cookie']?.[0]).toMatch(/^latchkey_oauth_[0-9a-f]{24}=[A-Za-z0-9_-]{43}; Path=\/oauth\/callback; Max-Age=600; HttpOnly; SameSite=Lax$/);

  for (const param of ['redirect_uri', 'state', 'client_id', 'code_challenge']) {
    const page = await new HttpBrowser().open(connectUrl(t, 'oidc', token, `&authorization_params[${param}]=https://evil.example/cb`));
    expect([page.status, errorOf(page.html).errorType]).toEqual([400, 'invalid_query_params']);
  }
  await database().execute('DELETE FROM oauth_sessions');
});

test('a subdomain value cannot move the authorization URL to another host', async () => {
  const put = await t.api('/integrations', { method: 'POST', json: { provider: 'zendesk', unique_key: 'zendesk', credentials: { type: 'OAUTH2', client_id: 'zd-client-id', client_secret: 'zd-client-secret-value' } } });
  expect(put.status).toBe(200);
  const token = await connectSession(t);
  for (const evil of ['evil.com/', 'evil.com#', 'a@evil.com', 'evil.com?x=']) {
    const page = await new HttpBrowser().open(connectUrl(t, 'zendesk', token, `&params[subdomain]=${encodeURIComponent(evil)}`));
    expect(page.status).toBe(400);
    expect(errorOf(page.html).errorType).toMatch(/^(invalid_connection_config|missing_connection_config)$/);
  }
  const ok = await fetch(connectUrl(t, 'zendesk', token, '&params[subdomain]=acme'), { redirect: 'manual' });
  expect(new URL(ok.headers.get('location')!).host).toBe('acme.zendesk.com');
  await database().execute('DELETE FROM oauth_sessions');
});

test('connection_id, public_key and hmac are refused: the server chooses the connection id', async () => {
  const token = await connectSession(t);
  for (const extra of ['&connection_id=mine', '&public_key=2f6b4c0a-1f6e-4f3b-9d0f-2a7c8e9b1a11', '&hmac=abc']) {
    const page = await new HttpBrowser().open(connectUrl(t, 'oidc', token, extra));
    expect([page.status, errorOf(page.html).errorType]).toEqual([400, 'invalid_query_params']);
  }
});

test('property: any malformed query gets a 4xx error page and stores no OAuth session or connection', async () => {
  const token = await connectSession(t);
  // qs drops keys of Object.prototype (`constructor`, `__proto__`): they never reach validation.
  const key = fc.stringMatching(/^[a-z][a-z_]{0,11}$/).filter((k) => !(k in Object.prototype) && !['ws_client_id', 'user_scope', 'connect_session_token'].includes(k));
  const bad = fc.oneof(
    key.map((k) => `&${k}=1`),
    fc.string({ maxLength: 3000 }).map((v) => `&ws_client_id=${encodeURIComponent(v)}`).filter((q) => !/^&ws_client_id=[A-Za-z0-9_-]{1,128}$/.test(q)),
    fc.constantFrom('&params[a][b]=1', '&params[]=x', '&credentials[oauth_client_id_override]=only-one', `&params[k]=${'x'.repeat(3000)}`, '&authorization_params[bad key]=1'),
  );
  await fc.assert(
    fc.asyncProperty(bad, async (extra) => {
      const before = [await tableCount('oauth_sessions'), await tableCount('connections')];
      const res = await fetch(connectUrl(t, 'oidc', token, extra), { redirect: 'manual' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('content-type')).toContain('text/html');
      await res.text();
      expect([await tableCount('oauth_sessions'), await tableCount('connections')]).toEqual(before);
    }),
    { numRuns: 40 },
  );
});
