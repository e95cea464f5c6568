import { database } from '../support/handles';
import fc from 'fast-check';
import { HttpBrowser } from '../support/http-browser';
import { readJson, type TestStack } from '../support/local-stack';
import { authorizeUntilCallback, connectSession, connectUrl, outboxRows, startOAuthWorld, tableCount, type OAuthWorld } from '../lambdas/connect/connect-fixtures';

/**
 * What an end user may put into a connect flow (issue 14, items 7, 9, 10, 14): declared,
 * non-automated connection config only; no scope, response type or mode of their own; no NUL or
 * lone surrogate anywhere; and a flow whose connect session expired cannot finish. Each refusal is
 * a 400 before any provider is called, and once the session is known it leaves a connect.failure row.
 */

let t: TestStack;

let world: OAuthWorld;

beforeAll(async () => {
  world = await startOAuthWorld({
    oidc: {
      token_response_metadata: ['instance_url'],
      connection_config: { region: { title: 'Region', enum: ['eu', 'us'], optional: true }, instance_url: { title: 'Instance', automated: true } },
    },
  });
  ({ t } = world);
  const keyed = await t.api('/providers/plain-key', {
    method: 'PUT',
    json: { display_name: 'Plain key', auth_mode: 'API_KEY', connection_config: { team: { title: 'Team', optional: true } }, proxy: { base_url: 'https://api.plain.example', headers: { authorization: 'Bearer ${apiKey}' } } },
  });
  expect(keyed.status).toBe(201);
  expect((await t.api('/integrations', { method: 'POST', json: { provider: 'plain-key', unique_key: 'plain-key' } })).status).toBe(200);
}, 60_000);

afterAll(() => world?.stop());

beforeEach(() => database().execute('DELETE FROM oauth_sessions'));

function errorOf(html: string): { errorType: string; message: string } {
  const data = /<script type="application\/json" id="outcome">(.*?)<\/script>/s.exec(html);
  if (!data) throw new Error(`not a callback page: ${html.slice(0, 200)}`);
  return JSON.parse(data[1].replace(/\\u003c/g, '<')) as { errorType: string; message: string };
}

async function failureRows(): Promise<Array<{ detail: Record<string, unknown> }>> {
  return database().query("SELECT detail FROM audit_events WHERE action = 'connect.failure' ORDER BY occurred_at, id");
}

function submitKey(token: string, body: string, extra = '') {
  return fetch(`${t.baseUrl}/api-auth/api-key/plain-key?connect_session_token=${token}${extra}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}

/** Runs `attack`; nothing is stored and exactly one connect.failure row appears with `errorType`. */
async function refusedAndAudited(errorType: string, attack: () => Promise<void>): Promise<void> {
  const [connections, before] = [await tableCount('connections'), (await failureRows()).length];
  await attack();
  expect(await tableCount('connections')).toBe(connections);
  const rows = await failureRows();
  expect(rows).toHaveLength(before + 1);
  expect(rows.at(-1)!.detail).toMatchObject({ error_type: errorType });
}

describe('connection config (item 10)', () => {
  test('an undeclared key (params[foo.bar]) is refused, not stored', async () => {
    const token = await connectSession(t);
    await refusedAndAudited('invalid_connection_config', async () => {
      const res = await readJson(await submitKey(token, JSON.stringify({ apiKey: 'k-0123456789' }), '&params[foo.bar]=x'));
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_connection_config']);
    });
  });

  test('a declared field is accepted', async () => {
    const token = await connectSession(t);
    const res = await readJson(await submitKey(token, JSON.stringify({ apiKey: 'k-0123456789' }), '&params[team]=red'));
    expect(res.status).toBe(200);
    const [row] = await database().query<{ connection_config: Record<string, unknown> }>('SELECT connection_config FROM connections WHERE connection_id = :id', { id: res.body.connectionId });
    expect(row.connection_config).toEqual({ team: 'red' });
  });

  test('an automated field (instance_url, filled from the token response) cannot be set by the end user', async () => {
    const token = await connectSession(t);
    await refusedAndAudited('invalid_connection_config', async () => {
      const res = await fetch(connectUrl(t, 'oidc', token, '&params[instance_url]=https://evil.example'), { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
      expect(errorOf(await res.text()).errorType).toBe('invalid_connection_config');
    });
    expect(await tableCount('oauth_sessions')).toBe(0);
  });
});

describe('authorization parameters (item 14)', () => {
  test.each(['scope', 'response_type', 'response_mode', 'user_scope'])('authorization_params[%s] from the browser is refused', async (param) => {
    const token = await connectSession(t);
    await refusedAndAudited('invalid_query_params', async () => {
      const res = await fetch(connectUrl(t, 'oidc', token, `&authorization_params[${param}]=admin`), { redirect: 'manual' });
      expect([res.status, res.headers.get('location')]).toEqual([400, null]);
    });
  });

  test("the browser's user_scope is refused; the session's user_scopes applies", async () => {
    const token = await connectSession(t);
    const res = await fetch(connectUrl(t, 'oidc', token, '&user_scope=admin'), { redirect: 'manual' });
    expect([res.status, errorOf(await res.text()).errorType]).toEqual([400, 'invalid_query_params']);
  });

  test('the backend may set them through the connect session defaults', async () => {
    const token = await connectSession(t, { end_user: { id: 'backend' }, integrations_config_defaults: { oidc: { authorization_params: { response_mode: 'query', scope: 'openid' } } } });
    const res = await fetch(connectUrl(t, 'oidc', token, '&authorization_params[scope]=admin'), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get('location')!);
    expect([url.searchParams.get('scope'), url.searchParams.get('response_mode')]).toEqual(['openid', 'query']);
  });

  test('harmless extra parameters from the browser still pass', async () => {
    const token = await connectSession(t);
    const res = await fetch(connectUrl(t, 'oidc', token, '&authorization_params[login_hint]=ada'), { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(new URL(res.headers.get('location')!).searchParams.get('login_hint')).toBe('ada');
  });
});

describe('malformed input (item 7, connect routes)', () => {
  test.each([
    ['params value with %00', '&params[team]=a%00b'],
    ['params value with a control character', '&params[team]=a%0Ab'],
    ['authorization_params value with %00', '&authorization_params[login_hint]=%00'],
  ])('%s → 400 invalid_query_params, a connect.failure row, no auth event', async (_name, extra) => {
    const token = await connectSession(t);
    const outbox = (await outboxRows()).length;
    await refusedAndAudited('invalid_query_params', async () => {
      const res = await readJson(await submitKey(token, JSON.stringify({ apiKey: 'k-0123456789' }), extra));
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_query_params']);
    });
    expect((await outboxRows()).length).toBe(outbox);
  });

  test.each([
    ['NUL in the API key', '{"apiKey":"a\\u0000b"}'],
    ['a lone high surrogate in the API key', '{"apiKey":"a\\ud800b"}'],
    ['a lone low surrogate in the API key', '{"apiKey":"\\udc00"}'],
  ])('%s → 400 invalid_body and a connect.failure row', async (_name, body) => {
    const token = await connectSession(t);
    await refusedAndAudited('invalid_body', async () => {
      const res = await readJson(await submitKey(token, body));
      expect([res.status, res.body.error.code]).toEqual([400, 'invalid_body']);
    });
  });

  test('property: a NUL or an unpaired surrogate anywhere in a connect value is a 400, audited, and stores nothing', async () => {
    const token = await connectSession(t);
    const poison = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff');
    const text = fc.tuple(fc.string({ maxLength: 8 }), poison, fc.string({ maxLength: 8 })).map(([a, p, b]) => a + p + b);
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom<'apiKey' | 'team' | 'login_hint'>('apiKey', 'team', 'login_hint'), async (value, where) => {
        const body = JSON.stringify({ apiKey: where === 'apiKey' ? value : 'k-0123456789' });
        // Unpaired surrogates cannot be percent-encoded as UTF-8: in the query they are tested as NUL only.
        const queryValue = encodeURIComponent(value.replace(/[\ud800-\udfff]/g, '\u0000'));
        const extra = where === 'team' ? `&params[team]=${queryValue}` : where === 'login_hint' ? `&authorization_params[login_hint]=${queryValue}` : '';
        const code = where === 'apiKey' ? 'invalid_body' : 'invalid_query_params';
        await refusedAndAudited(code, async () => {
          const res = await readJson(await submitKey(token, body, extra));
          expect([res.status, res.body.error.code]).toEqual([400, code]);
        });
      }),
      { numRuns: 15, endOnFailure: true },
    );
  });

  test('%00 on the OAuth popup route answers the error page (400) and is audited', async () => {
    const token = await connectSession(t);
    await refusedAndAudited('invalid_query_params', async () => {
      const res = await fetch(connectUrl(t, 'oidc', token, '&params[region]=%00'), { redirect: 'manual' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(errorOf(await res.text()).errorType).toBe('invalid_query_params');
    });
  });

  test('a session-level refusal of /oauth/connect (integration_not_allowed) is audited', async () => {
    const token = await connectSession(t, { end_user: { id: 'narrow' }, allowed_integrations: ['plain-key'] });
    await refusedAndAudited('integration_not_allowed', async () => {
      const res = await fetch(connectUrl(t, 'oidc', token), { redirect: 'manual' });
      expect(res.status).toBe(400);
    });
  });
});

describe('connect session expiry (item 9)', () => {
  test('a flow begun before its connect session expired cannot finish after it', async () => {
    const token = await connectSession(t, { end_user: { id: 'late' } });
    const browser = new HttpBrowser();
    const callback = await authorizeUntilCallback(browser, t, connectUrl(t, 'oidc', token));
    // The connect session expires while the end user is at the provider.
    await database().execute(
      `UPDATE connect_sessions SET expires_at = now() - interval '1 second'
        WHERE id = (SELECT connect_session_id FROM oauth_sessions ORDER BY created_at DESC LIMIT 1)`,
    );
    await refusedAndAudited('connect_session_expired', async () => {
      const page = await browser.open(callback.href);
      expect(page.status).toBe(400);
      expect(errorOf(page.html).errorType).toBe('connect_session_expired');
    });
  });

  test('a flow whose connect session was deleted cannot finish either (its OAuth sessions go with it)', async () => {
    const token = await connectSession(t, { end_user: { id: 'deleted' } });
    const browser = new HttpBrowser();
    const callback = await authorizeUntilCallback(browser, t, connectUrl(t, 'oidc', token));
    const deleted = await fetch(`${t.baseUrl}/connect/session`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(deleted.status).toBeLessThan(300);
    const before = await tableCount('connections');
    const page = await browser.open(callback.href);
    expect([page.status, errorOf(page.html).errorType]).toEqual([400, 'invalid_state']);
    expect(await tableCount('connections')).toBe(before);
  });
});
