import { database } from '../../support/handles';
import { Nango } from '@nangohq/node';
import { uuid } from '../../../lambdas/platform/db/parameters';
import { OUTBOX_EVENT_TYPES } from '../../../lambdas/platform/events/outbox-event';
import { EVENT_RULES } from '../../../lib/topology';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { WebhookReceiver, type ReceivedWebhook } from '../../support/webhook-receiver';
import { environmentId, insertIntegration } from '../connections/fixtures';
import { deliveryRows, insertConnection, minutes, redrive, writeAuthEvent } from './support';

/*
 * Webhook delivery end to end over the local stack: outbox → PutEvents → the event rule → the
 * webhooks function → a real HTTP receiver, and the scheduled re-drive "as of" a moved clock.
 */

let t: TestStack;
let receiver: WebhookReceiver;
let devId: string;
let integrationId: string;
let signingKey: string;
const TOKEN = 'rcv-token-5b1f0e7a9c2d4e8f';

async function patchEnvironment(json: Record<string, unknown>) {
  const res = await readJson(await t.api('/environment', { method: 'PATCH', json }));
  expect(res.status).toBe(200);
}

async function rotate(): Promise<string> {
  const res = await readJson(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
  t.secrets.register(res.body.data.webhook_signing_key);
  return res.body.data.webhook_signing_key;
}

const verifier = (key: string) => new Nango({ secretKey: t.devKey, host: t.baseUrl, webhookSigningKey: key });
const eventIdOf = (r: ReceivedWebhook) => r.headers['x-latchkey-event-id'] as string;

beforeAll(async () => {
  t = await startTestStack();
  receiver = new WebhookReceiver();
  await receiver.start();
  t.secrets.register(TOKEN);
  devId = await environmentId('dev');
  integrationId = await insertIntegration('dev', 'openai', 'openai');
  signingKey = await rotate();
  await patchEnvironment({ webhook_url: receiver.url(`/hook?token=${TOKEN}`), webhook_secondary_url: null });
});
afterAll(async () => {
  await receiver.stop();
  await t.stop();
});
beforeEach(async () => {
  await t.stack.eventBridge.idle();
  receiver.reset();
  t.stack.eventBridge.control.clearFaults();
});
// The settings every test starts from, restored even when a test fails halfway (no cascade).
afterEach(async () => {
  await patchEnvironment({ webhook_url: receiver.url(`/hook?token=${TOKEN}`), webhook_secondary_url: null, webhook_on_auth_creation: true, webhook_on_connection_deleted: false });
  receiver.reset();
});

test('a published event is delivered at once: Nango body, both signatures (verified by the real SDK), a stable event id', async () => {
  const event = await writeAuthEvent(devId, 'conn-1');
  await t.stack.eventBridge.idle();
  expect(receiver.requests).toHaveLength(1);
  const [req] = receiver.requests;
  expect(req.path).toBe(`/hook?token=${TOKEN}`);
  expect(req.headers['content-type']).toBe('application/json');
  expect(eventIdOf(req)).toBe(event.id);
  expect(req.headers['x-latchkey-attempt']).toBe('1');
  expect(verifier(signingKey).verifyIncomingWebhookRequest(req.body, req.headers as Record<string, string>)).toBe(true);
  expect(verifier(signingKey).verifyWebhookSignature(req.headers['x-nango-signature'] as string, JSON.parse(req.body))).toBe(true);
  expect(verifier(t.devKey).verifyIncomingWebhookRequest(req.body, req.headers as Record<string, string>)).toBe(false);
  // Stable-sorted: the bytes are exactly the sorted serialisation of the body.
  expect(JSON.parse(req.body)).toEqual(event.payload);
  expect(Object.keys(JSON.parse(req.body))).toEqual(Object.keys(event.payload).sort());
  const [row] = await deliveryRows(event.id);
  expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
  const [outbox] = await database().query<{ status: string }>('SELECT status FROM outbox WHERE id = :id', { id: uuid(event.id) });
  expect(outbox.status).toBe('dispatched');
});

test('primary and secondary both receive it; a failing secondary is retried alone', async () => {
  await patchEnvironment({ webhook_secondary_url: receiver.url('/second') });
  receiver.modeByPath.set('/second', { status: 503 });
  const event = await writeAuthEvent(devId, 'conn-2');
  await t.stack.eventBridge.idle();
  expect(receiver.requests.map((r) => r.path.split('?')[0]).sort()).toEqual(['/hook', '/second']);
  receiver.modeByPath.clear();
  await redrive(t, minutes(new Date(), 2));
  expect(receiver.requests.map((r) => r.path.split('?')[0]).sort()).toEqual(['/hook', '/second', '/second']);
  expect((await deliveryRows(event.id)).map((d) => [d.status, d.attempts])).toEqual([
    ['delivered', 1],
    ['delivered', 2],
  ]);
  expect(receiver.requests.every((r) => eventIdOf(r) === event.id)).toBe(true);
  await patchEnvironment({ webhook_secondary_url: null });
});

test('toggles: an auth creation event with webhook_on_auth_creation off is skipped; override events always go', async () => {
  await patchEnvironment({ webhook_on_auth_creation: false });
  const skipped = await writeAuthEvent(devId, 'conn-3');
  const override = await writeAuthEvent(devId, 'conn-3', { extra: { operation: 'override' } });
  await t.stack.eventBridge.idle();
  expect(receiver.requests.map(eventIdOf)).toEqual([override.id]);
  const [row] = await database().query<{ status: string }>('SELECT status FROM outbox WHERE id = :id', { id: uuid(skipped.id) });
  expect(row.status).toBe('skipped');
  await patchEnvironment({ webhook_on_auth_creation: true });
});

test('a failed creation goes to its session override only, without the internal field', async () => {
  const event = await writeAuthEvent(devId, 'conn-4', { extra: { success: false, error: { type: 'unknown', description: 'x' } }, override: receiver.url('/override') });
  await t.stack.eventBridge.idle();
  expect(receiver.requests.map((r) => r.path)).toEqual(['/override']);
  expect(JSON.parse(receiver.requests[0].body)).not.toHaveProperty('_webhook_url_override');
  expect(JSON.parse(receiver.requests[0].body)).toEqual(event.payload);
});

test('DELETE /connections/{id} writes `connection.deleted` in the same statement when the toggle is on, to the connection override', async () => {
  await insertConnection(devId, integrationId, 'openai', 'del-off');
  expect((await t.api('/connections/del-off?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  await t.stack.eventBridge.idle();
  expect(receiver.requests).toHaveLength(0);
  expect(await database().query("SELECT 1 FROM outbox WHERE event_type = 'connection.deleted'")).toHaveLength(0);

  await patchEnvironment({ webhook_on_connection_deleted: true });
  await insertConnection(devId, integrationId, 'openai', 'del-on');
  await insertConnection(devId, integrationId, 'openai', 'del-override', receiver.url('/conn-override'));
  t.stack.dataApi.control.resetStats();
  expect((await t.api('/connections/del-on?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  expect((await t.api('/connections/del-override?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  await t.stack.eventBridge.idle();
  const bodies = receiver.requests.map((r) => ({ path: r.path.split('?')[0], body: JSON.parse(r.body) }));
  expect(bodies).toHaveLength(2);
  expect(bodies.find((b) => b.body.connectionId === 'del-on')).toEqual({
    path: '/hook',
    body: { from: 'nango', type: 'connection.deleted', connectionId: 'del-on', providerConfigKey: 'openai', provider: 'openai', environment: 'dev', deletedAt: expect.any(String), tags: { team: 'core' } },
  });
  expect(bodies.find((b) => b.body.connectionId === 'del-override')?.path).toBe('/conn-override');
  expect(receiver.requests.every((r) => verifier(signingKey).verifyIncomingWebhookRequest(r.body, r.headers as Record<string, string>))).toBe(true);
  await patchEnvironment({ webhook_on_connection_deleted: false });
});

test('a failing PutEvents loses nothing: the rows stay pending and the scheduled re-drive delivers them', async () => {
  await patchEnvironment({ webhook_on_connection_deleted: true });
  await insertConnection(devId, integrationId, 'openai', 'del-fault');
  t.stack.eventBridge.control.injectFault({ operation: 'PutEvents', error: { code: 'InternalException', status: 500 } });
  const started = new Date();
  expect((await t.api('/connections/del-fault?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
  const event = await writeAuthEvent(devId, 'conn-fault');
  await t.stack.eventBridge.idle();
  expect(t.stack.eventBridge.control.count('PutEvents')).toBeGreaterThan(0);
  expect(receiver.requests).toHaveLength(0);
  const pending = await database().query<{ id: string }>("SELECT id FROM outbox WHERE status = 'pending'");
  expect(pending.map((r) => r.id)).toContain(event.id);
  expect(pending).toHaveLength(2);
  // Within the grace period the re-drive leaves them to an in-flight publish; after it, it delivers.
  await redrive(t, new Date(started.getTime() + 10_000));
  expect(receiver.requests).toHaveLength(0);
  await redrive(t, minutes(started, 2));
  expect(receiver.requests.map((r) => JSON.parse(r.body).connectionId).sort()).toEqual(['conn-fault', 'del-fault']);
  await patchEnvironment({ webhook_on_connection_deleted: false });
});

test('the receiver down for a simulated hour, then back: every event is delivered, none lost, the circuit spares it meanwhile', async () => {
  receiver.mode = 'down';
  const started = new Date();
  const events = [];
  for (let i = 0; i < 12; i++) events.push(await writeAuthEvent(devId, `outage-${i}`));
  await t.stack.eventBridge.idle();
  for (let m = 1; m <= 60; m++) await redrive(t, minutes(started, m));
  const duringOutage = receiver.requests.length;
  // Without the breaker, 12 events retried for an hour would be well over 12 × 7 attempts.
  expect(duringOutage).toBeGreaterThanOrEqual(12);
  expect(duringOutage).toBeLessThan(12 * 7);
  expect(receiver.delivered()).toHaveLength(0);
  receiver.mode = { status: 200, body: 'ok' };
  let m = 61;
  while (m <= 60 * 4) {
    await redrive(t, minutes(started, m));
    const pending = await database().query("SELECT 1 FROM webhook_targets WHERE status = 'pending'");
    if (pending.length === 0) break;
    m += 2;
  }
  const received = new Set(receiver.delivered().map(eventIdOf));
  expect(events.filter((e) => !received.has(e.id))).toEqual([]);
  for (const e of events) expect((await deliveryRows(e.id))[0].status).toBe('delivered');
  // Back within the retry cap (1 hour) of the receiver's return.
  expect(m).toBeLessThanOrEqual(60 + 62);
});

test('signing-key rotation: the next delivery is signed with the new key, and the old one no longer verifies', async () => {
  const old = signingKey;
  signingKey = await rotate();
  await writeAuthEvent(devId, 'after-rotation');
  await t.stack.eventBridge.idle();
  const [req] = receiver.requests;
  expect(verifier(signingKey).verifyIncomingWebhookRequest(req.body, req.headers as Record<string, string>)).toBe(true);
  expect(verifier(old).verifyIncomingWebhookRequest(req.body, req.headers as Record<string, string>)).toBe(false);
});

test('the bus rule routes every outbox event type to the webhooks function', () => {
  const rule = EVENT_RULES.find((r) => r.function === 'webhooks');
  expect(rule?.pattern).toEqual({ 'detail-type': [...OUTBOX_EVENT_TYPES] });
});

test('no secret in any log line: not the signing key, not the URL token', () => {
  const lines = t.logLines().join('\n');
  expect(lines).not.toContain(TOKEN);
  expect(lines).not.toContain(signingKey);
  expect(lines).toContain('webhooks run finished');
});
