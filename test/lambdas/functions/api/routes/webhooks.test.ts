import { uuid } from '../../../../../lambdas/platform/db/parameters';
import { database } from '../../../../support/handles';
import fc from 'fast-check';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';
import { WebhookReceiver } from '../../../../support/webhook-receiver';
import { environmentId } from '../../../connections/fixtures';
import { minutes, redrive, writeAuthEvent } from '../../../webhooks/support';

/* The delivery log and replay routes (our extension), over the local stack and a real receiver. */

let t: TestStack;
let receiver: WebhookReceiver;
let devId: string;

const get = async (path: string, key?: string) => readJson(await t.api(path, { key }));
const replay = async (id: string, key?: string) => readJson(await t.api(`/webhooks/deliveries/${id}/replay`, { method: 'POST', key }));

async function deliveryOf(eventId: string) {
  const res = await get(`/webhooks/deliveries?event_id=${eventId}`);
  expect(res.status).toBe(200);
  expect(res.body.data).toHaveLength(1);
  return res.body.data[0];
}

beforeAll(async () => {
  t = await startTestStack();
  receiver = new WebhookReceiver();
  await receiver.start();
  devId = await environmentId('dev');
  const key = await readJson(await t.api('/environment/webhook-signing-key/rotate', { method: 'POST' }));
  t.secrets.register(key.body.data.webhook_signing_key);
  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } })).status).toBe(200);
});
afterAll(async () => {
  await receiver.stop();
  await t.stop();
});
beforeEach(async () => {
  await t.stack.eventBridge.idle();
  receiver.reset();
});

test('4xx is not retried: the delivery is dead after one attempt, listed as dead, and a replay delivers it', async () => {
  receiver.mode = { status: 400, body: 'bad request from receiver' };
  const event = await writeAuthEvent(devId, 'c-400');
  await t.stack.eventBridge.idle();
  await redrive(t, minutes(new Date(), 90));
  expect(receiver.requests).toHaveLength(1);

  const dead = await deliveryOf(event.id);
  expect(dead).toMatchObject({ event_id: event.id, event_type: 'auth', connection_id: 'c-400', provider_config_key: 'github', url: receiver.url('/hook'), target: 'primary', status: 'dead', attempts: 1, last_status_code: 400, next_attempt_at: null });
  const listed = await get('/webhooks/deliveries?status=dead');
  expect(listed.body.data.map((d: { id: string }) => d.id)).toContain(dead.id);

  const detail = await get(`/webhooks/deliveries/${dead.id}`);
  expect(detail.status).toBe(200);
  expect(detail.body.data.body).toEqual(event.payload);
  expect(detail.body.data.attempt_log).toEqual([
    { attempt: 1, outcome: 'failed', status_code: 400, latency_ms: expect.any(Number), response_excerpt: 'bad request from receiver', error: 'HTTP 400', created_at: expect.any(String) },
  ]);

  receiver.mode = { status: 204 };
  const replayed = await replay(dead.id);
  expect(replayed.status).toBe(202);
  expect(replayed.body.data).toMatchObject({ id: dead.id, status: 'pending', attempts: 1 });
  await t.stack.eventBridge.idle();
  expect(receiver.requests).toHaveLength(2);
  expect(receiver.requests[1].headers['x-latchkey-event-id']).toBe(event.id);
  expect(receiver.requests[1].headers['x-latchkey-attempt']).toBe('2');
  const after = await get(`/webhooks/deliveries/${dead.id}`);
  expect(after.body.data).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
  expect(after.body.data.attempt_log.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'delivered']);

  const audit = await get(`/audit-events?action=webhook.delivery.replay&target_id=${dead.id}`);
  expect(audit.body.data).toHaveLength(1);
  expect(audit.body.data[0]).toMatchObject({ action: 'webhook.delivery.replay', target: { type: 'webhook_delivery', id: dead.id } });
});

test('a delivery with a long attempt log (days of failures, 1 KB answers) is read whole but for its oldest attempts, never a 500', async () => {
  receiver.mode = { status: 400, body: 'x' };
  const event = await writeAuthEvent(devId, 'c-long-log');
  await t.stack.eventBridge.idle();
  await redrive(t, minutes(new Date(), 90));
  const dead = await deliveryOf(event.id);
  // 80 more attempts, each with the longest excerpt the deliverer keeps (1,024 characters, 3 bytes each).
  await database().execute(
    `INSERT INTO webhook_deliveries (outbox_id, target_id, url, attempt, outcome, status_code, latency_ms, response_excerpt, error, created_at)
     SELECT t.outbox_id, t.id, t.url, n, 'retry', 503, 20, repeat('界', 1024), 'HTTP 503', now() + n * interval '1 second'
       FROM webhook_targets t, generate_series(2, 81) n WHERE t.id = :id`,
    { id: uuid(dead.id) },
  );
  const detail = await get(`/webhooks/deliveries/${dead.id}`);
  expect(detail.status).toBe(200);
  const log: { attempt: number; response_excerpt: string }[] = detail.body.data.attempt_log;
  expect(detail.body.data.attempt_log_total).toBe(81);
  expect(log.length).toBeGreaterThan(5);
  expect(log.length).toBeLessThan(81);
  // The newest, in order, up to the last attempt.
  expect(log.map((a) => a.attempt)).toEqual(Array.from({ length: log.length }, (_, i) => 82 - log.length + i));
  expect(log[0].response_excerpt).toBe('界'.repeat(1024));
  expect(Buffer.byteLength(JSON.stringify(log))).toBeLessThanOrEqual(32 * 1024 + log.length * 16);
});

test('429 honours Retry-After; 5xx, 408 and network errors are retried', async () => {
  receiver.mode = { status: 429, headers: { 'retry-after': '600' } };
  const started = new Date();
  const event = await writeAuthEvent(devId, 'c-429');
  await t.stack.eventBridge.idle();
  const d = await deliveryOf(event.id);
  expect(d.status).toBe('pending');
  const wait = Date.parse(d.next_attempt_at) - started.getTime();
  expect(wait).toBeGreaterThanOrEqual(599_000);
  expect(wait).toBeLessThan(660_000);
  await redrive(t, minutes(started, 5));
  expect(receiver.requests).toHaveLength(1);
  receiver.mode = { status: 408 };
  await redrive(t, minutes(started, 11));
  expect(receiver.requests).toHaveLength(2);
  receiver.mode = { status: 502 };
  await redrive(t, minutes(started, 13));
  expect(receiver.requests).toHaveLength(3);
  receiver.mode = { status: 200 };
  await redrive(t, minutes(started, 20));
  expect(receiver.requests).toHaveLength(4);
  expect((await deliveryOf(event.id)).status).toBe('delivered');
});

test('after 24 hours of failures the delivery is dead-lettered', async () => {
  receiver.mode = { status: 500 };
  const started = new Date();
  const event = await writeAuthEvent(devId, 'c-day');
  await t.stack.eventBridge.idle();
  for (let h = 1; h <= 25; h++) await redrive(t, minutes(started, h * 60));
  const d = await deliveryOf(event.id);
  expect(d.status).toBe('dead');
  expect(d.attempts).toBeGreaterThan(2);
  expect(Date.parse(d.dead_at)).toBeGreaterThanOrEqual(Date.parse(d.retry_until));
});

test('replay: 409 while pending, 404 unknown or another environment, 400 bad id; scopes apply', async () => {
  receiver.mode = 'down';
  const event = await writeAuthEvent(devId, 'c-pending');
  await t.stack.eventBridge.idle();
  const d = await deliveryOf(event.id);
  expect(d.status).toBe('pending');
  expect((await replay(d.id)).body).toEqual({ error: { code: 'conflict', message: expect.any(String) } });
  expect((await replay(d.id)).status).toBe(409);
  expect((await replay(d.id, t.prodKey)).status).toBe(404);
  expect((await get(`/webhooks/deliveries/${d.id}`, t.prodKey)).status).toBe(404);
  expect((await get(`/webhooks/deliveries?event_id=${event.id}`, t.prodKey)).body.data).toEqual([]);
  expect((await replay('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  expect((await replay('not-a-uuid')).body.error.code).toBe('invalid_uri_params');

  const readOnly = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'wh-read', scopes: ['environment:webhooks:read'] } }));
  t.secrets.register(readOnly.body.data.secret);
  expect((await get('/webhooks/deliveries', readOnly.body.data.secret)).status).toBe(200);
  expect((await replay(d.id, readOnly.body.data.secret)).status).toBe(403);
});

test('listing pages newest first with a cursor; bad queries are 400 and change nothing', async () => {
  receiver.mode = { status: 200 };
  for (let i = 0; i < 3; i++) await writeAuthEvent(devId, `page-${i}`);
  await t.stack.eventBridge.idle();
  const first = await get('/webhooks/deliveries?limit=2');
  expect(first.body.data).toHaveLength(2);
  const second = await get(`/webhooks/deliveries?limit=2&cursor=${first.body.next_cursor}`);
  const ids = [...first.body.data, ...second.body.data].map((d: { id: string }) => d.id);
  expect(new Set(ids).size).toBe(ids.length);
  const all = (await get('/webhooks/deliveries?limit=500')).body.data.map((d: { created_at: string }) => d.created_at);
  expect([...all].sort().reverse()).toEqual(all);

  const before = await database().query('SELECT * FROM webhook_targets ORDER BY id');
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('status=lost', 'limit=0', 'limit=10001', 'event_id=x', 'cursor=%%%', 'unknown=1', 'limit=abc'), async (q) => {
      const res = await get(`/webhooks/deliveries?${q}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_query_params');
    }),
    { numRuns: 14 },
  );
  expect(await database().query('SELECT * FROM webhook_targets ORDER BY id')).toEqual(before);
});
