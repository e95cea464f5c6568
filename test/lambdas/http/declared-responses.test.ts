import * as z from 'zod';
import { errorEnvelope } from '../../../lambdas/http/openapi';
import { allRoutes, mainSuccess, routeName, schemaProblem } from '../../support/declared-responses';
import { HttpBrowser } from '../../support/http-browser';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { startOAuthServer, type OAuthServer } from '../../support/oauth-server';
import { startUpstream } from '../../support/upstream';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { authorizeInBrowser, connectSession, connectUrl, oidcIntegration } from '../connect/connect-fixtures';
import { environmentId } from '../connections/fixtures';
import { minutes, redrive, writeAuthEvent } from '../webhooks/support';

/*
 * Every route's main success answer, produced once through the local stack: the stack checks each
 * answer against what the route declares (test/support/declared-responses.ts, and fails the file
 * on a mismatch), and the last test checks that no route of API_ROUTES or CONNECT_ROUTES was left out.
 */

let t: TestStack;
let server: OAuthServer;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await startTestStack();
  server = await startOAuthServer({ interactive: true, redirectUris: [`${t.baseUrl}/oauth/callback`] });
  t.secrets.register(server.clients.basic.client_secret, server.clients.post.client_secret);
  receiver = new WebhookReceiver();
  await receiver.start();
}, 60_000);

afterAll(async () => {
  await receiver?.stop();
  await server?.stop();
  await t?.stop();
});

async function call(path: string, init: Parameters<TestStack['api']>[1] = {}, expected = 200) {
  const res = await t.api(path, init);
  const { status, body } = expected === 204 ? { status: res.status, body: await res.text() } : await readJson(res);
  if (status !== expected) throw new Error(`${init.method ?? 'GET'} ${path}: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** As the frontend SDK posts a connect flow: the session token in the query. */
async function connectPost(path: string, body: unknown) {
  const res = await fetch(`${t.baseUrl}${path}?connect_session_token=${await connectSession(t)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
}

test('meta, environment and keys', async () => {
  await call('/health');
  await call('/meta/egress-ips');
  await call('/openapi.json');
  await call('/environment');
  const signing = await call('/environment/webhook-signing-key/rotate', { method: 'POST' });
  t.secrets.register(signing.data.webhook_signing_key);
  await call('/environment/webhook-signing-key');
  await call('/environment', { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } });
  await call('/environment/api-keys');
  const key = await call('/environment/api-keys', { method: 'POST', json: { display_name: 'declared-responses' } }, 201);
  t.secrets.register(key.data.secret);
  await call(`/environment/api-keys/${key.data.id}`, { method: 'DELETE' });
});

test('providers and integrations', async () => {
  await call('/providers');
  await call('/providers/github');
  const definition = { display_name: 'Keyed', auth_mode: 'API_KEY', allow_private_network: true, proxy: { base_url: 'http://127.0.0.1:9', headers: { authorization: 'Bearer ${apiKey}' } } };
  await call('/providers/keyed', { method: 'PUT', json: definition }, 201);
  await call('/providers/keyed', { method: 'PUT', json: definition });
  await call('/providers/spare', { method: 'PUT', json: definition }, 201);
  await call('/providers/spare', { method: 'DELETE' });
  await call('/integrations', { method: 'POST', json: { provider: 'keyed', unique_key: 'keyed' } });
  await call('/integrations', { method: 'POST', json: { provider: 'keyed', unique_key: 'keyed-2' } });
  await call('/integrations/keyed-2', { method: 'PATCH', json: { display_name: 'Keyed two' } });
  await call('/integrations/keyed-2?include=webhook');
  await call('/integrations/keyed-2', { method: 'DELETE' });
  await call('/integrations');
});

test('connections, their metadata and the deprecated paths', async () => {
  const credentials = { type: 'API_KEY', apiKey: 'declared-responses-key-0123' };
  t.secrets.register(credentials.apiKey);
  for (const [prefix, id] of [['/connections', 'c-1'], ['/connection', 'c-2']]) {
    await call(prefix, { method: 'POST', json: { provider_config_key: 'keyed', connection_id: id, end_user: { id: `u-${id}` }, tags: { team: 'core' }, credentials } }, 201);
    await call(`${prefix}/metadata`, { method: 'POST', json: { connection_id: id, provider_config_key: 'keyed', metadata: { a: 1 } } }, 201);
    await call(`${prefix}/metadata`, { method: 'PATCH', json: { connection_id: id, provider_config_key: 'keyed', metadata: { b: 2 } } });
    await call(`${prefix}/${id}?provider_config_key=keyed`);
    await call(`${prefix}?endUserId=u-${id}`);
  }
  await call('/connections/c-1?provider_config_key=keyed', { method: 'PATCH', json: { tags: { team: 'red' } } });
  await call('/connect/sessions/reconnect', { method: 'POST', json: { connection_id: 'c-1', integration_id: 'keyed' } }, 201);
  await call('/connections/c-1?provider_config_key=keyed', { method: 'DELETE' });
  await call('/connection/c-2?provider_config_key=keyed', { method: 'DELETE' });
});

test('connect sessions and the connect flows', async () => {
  const token = await connectSession(t);
  await call('/connect/session', { key: token });
  await call('/connect/session', { key: token, method: 'DELETE' }, 204);

  await call('/providers/basic-auth', { method: 'PUT', json: { display_name: 'Basic', auth_mode: 'BASIC', allow_private_network: true, proxy: { base_url: 'http://127.0.0.1:9' } } }, 201);
  await call('/integrations', { method: 'POST', json: { provider: 'basic-auth', unique_key: 'basic-auth' } });
  await call('/providers/cc', { method: 'PUT', json: { display_name: 'CC', auth_mode: 'OAUTH2_CC', allow_private_network: true, token_url: server.tokenUrl } }, 201);
  await call('/integrations', { method: 'POST', json: { provider: 'cc', unique_key: 'cc' } });
  await connectPost('/api-auth/api-key/keyed', { apiKey: 'declared-responses-key-4567' });
  await connectPost('/api-auth/basic/basic-auth', { username: 'ada', password: 'declared-responses-pw' });
  t.secrets.register('declared-responses-key-4567', 'declared-responses-pw');
  await connectPost('/oauth2/auth/cc', { client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret });

  await oidcIntegration(t, 'oidc', server, server.clients.basic);
  const page = await authorizeInBrowser(new HttpBrowser(), connectUrl(t, 'oidc', await connectSession(t)));
  expect(page.status).toBe(200);
  expect(page.html).toContain('nango_oauth_callback_success');
});

test('the Connect UI page, its assets and the logos', async () => {
  const html = await (await fetch(`${t.baseUrl}/connect`)).text();
  const script = /src="([^"]+)"/.exec(html)![1];
  expect((await fetch(script)).status).toBe(200);
  expect((await fetch(`${t.baseUrl}/images/template-logos/github.svg`)).status).toBe(200);
});

test('records and sync runs', async () => {
  await call('/connections', { method: 'POST', json: { provider_config_key: 'keyed', connection_id: 'r-1', credentials: { type: 'API_KEY', apiKey: 'declared-responses-key-89ab' } } }, 201);
  t.secrets.register('declared-responses-key-89ab');
  const target = { connection_id: 'r-1', provider_config_key: 'keyed' };
  await call('/records', { method: 'POST', json: { ...target, model: 'Contact', sync_name: 'contacts', records: [{ id: 1, name: 'Ada' }] } });
  await call('/records?model=Contact', { headers: { 'connection-id': 'r-1', 'provider-config-key': 'keyed' } });
  const run = await call('/sync-runs', { method: 'POST', json: { ...target, sync_name: 'contacts', status: 'running' } }, 201);
  await call(`/sync-runs/${run.id}`, { method: 'PATCH', json: { status: 'success' } });
});

test('audit events and webhook deliveries', async () => {
  await call('/audit-events?limit=5');
  await t.stack.eventBridge.idle();
  receiver.mode = { status: 400, body: 'refused' };
  const event = await writeAuthEvent(await environmentId('dev'), 'c-webhook');
  await t.stack.eventBridge.idle();
  await redrive(t, minutes(new Date(), 90));
  const listed = await call(`/webhooks/deliveries?event_id=${event.id}`);
  const id = listed.data[0].id;
  await call(`/webhooks/deliveries/${id}`);
  await call(`/webhooks/deliveries/${id}/replay`, { method: 'POST' }, 202);
});

test('the proxy, each method', async () => {
  const upstream = await startUpstream();
  try {
    t.secrets.register('declared-proxy-key-0123456789');
    await call('/providers/declared-up', { method: 'PUT', json: { display_name: 'up', auth_mode: 'API_KEY', allow_private_network: true, proxy: { base_url: upstream.url, headers: { 'x-key': '${apiKey}' } } } }, 201);
    await call('/integrations', { method: 'POST', json: { provider: 'declared-up', unique_key: 'declared-up' } });
    await call('/connections', { method: 'POST', json: { provider_config_key: 'declared-up', connection_id: 'p', credentials: { type: 'API_KEY', apiKey: 'declared-proxy-key-0123456789' } } }, 201);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      await call('/proxy/x', { method, headers: { 'connection-id': 'p', 'provider-config-key': 'declared-up' } });
    }
  } finally {
    await upstream.stop();
  }
});

test("every route's main success answer was checked against its declaration", () => {
  const seen = t.responses.successesSeen();
  const missing = allRoutes()
    .filter((route) => !seen.has(routeName(route)))
    .map((route) => `${routeName(route)} ${mainSuccess(route)}`);
  expect(missing).toEqual([]);
  expect(t.responses.problems).toEqual([]);
});

describe('the check itself', () => {
  const Out = z.object({ id: z.string(), tags: z.record(z.string(), z.string()) });

  test('names a field that is sent but not declared, at any depth', () => {
    expect(schemaProblem(Out, { id: 'a', tags: { x: 'y' } })).toBeUndefined();
    expect(schemaProblem(Out, { id: 'a', tags: {}, secret: 's' })).toBe('secret is sent but not declared');
    expect(schemaProblem(z.object({ data: z.array(Out) }), { data: [{ id: 'a', tags: {} }, { id: 'b', tags: {}, extra: 1 }] })).toBe('data.1.extra is sent but not declared');
    expect(schemaProblem(errorEnvelope(), { error: { code: 'x', payload: {} } })).toBe('error.payload is sent but not declared');
  });

  test('names a field of the wrong type or missing', () => {
    expect(schemaProblem(Out, { id: 1, tags: {} })).toMatch(/^id: /);
    expect(schemaProblem(Out, { tags: {} })).toMatch(/^id: /);
  });
});
