import { Nango } from '@nangohq/node';
import { ensureWebhookSigningKeys } from '../../../lambdas/environments/environment-store';
import { database, envelopeCipher } from '../../support/handles';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { environmentId } from '../connections/fixtures';
import { writeAuthEvent } from '../webhooks/support';

/*
 * A new environment is created with a webhook signing key (the migrate task, and `npm start`, seal
 * one after the SQL), so the first webhook is signed without a rotation; the key is read back with
 * GET /environment/webhook-signing-key, as the README says.
 */

let t: TestStack;
let receiver: WebhookReceiver;

beforeAll(async () => {
  t = await startTestStack();
  receiver = new WebhookReceiver();
  await receiver.start();
});
afterAll(async () => {
  await receiver?.stop();
  await t?.stop();
});

async function readSigningKey(key = t.devKey): Promise<{ status: number; key: string }> {
  const res = await readJson(await t.api('/environment/webhook-signing-key', { key }));
  const signingKey = res.body.data?.webhook_signing_key;
  if (signingKey) t.secrets.register(signingKey);
  return { status: res.status, key: signingKey };
}

test("a fresh stack's dev environment signs its first webhook with the key read from the API, no rotation first", async () => {
  for (const key of [t.devKey, t.prodKey]) expect((await readJson(await t.api('/environment', { key }))).body.data.webhook_signing_key_set).toBe(true);
  const dev = await readSigningKey();
  expect(dev.status).toBe(200);
  expect(dev.key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const prod = await readSigningKey(t.prodKey);
  expect(prod.key).not.toBe(dev.key);
  expect([t.devKey, t.prodKey]).not.toContain(dev.key);

  expect((await t.api('/environment', { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } })).status).toBe(200);
  await writeAuthEvent(await environmentId('dev'), 'first-connection');
  await t.stack.eventBridge.idle();
  expect(receiver.requests).toHaveLength(1);
  const [req] = receiver.requests;
  const nango = new Nango({ secretKey: t.devKey, host: t.baseUrl, webhookSigningKey: dev.key });
  expect(nango.verifyIncomingWebhookRequest(req.body, req.headers as Record<string, string>)).toBe(true);

  const audit = await database().query<{ action: string; environment_id: string }>(
    "SELECT action, environment_id FROM audit_events WHERE action LIKE 'environment.webhook_signing_key.%' ORDER BY occurred_at",
  );
  expect(audit.filter((a) => a.action === 'environment.webhook_signing_key.create').map((a) => a.environment_id).sort()).toEqual(
    [await environmentId('dev'), await environmentId('prod')].sort(),
  );
  expect(audit.filter((a) => a.action === 'environment.webhook_signing_key.read')).toHaveLength(2);
});

test('an environment created before keys were given at creation gets one on the next run; one that has a key keeps it', async () => {
  const before = await readSigningKey();
  await database().query("UPDATE environments SET webhook_signing_key = NULL WHERE name = 'prod'");
  expect((await readSigningKey(t.prodKey)).status).toBe(404);

  expect(await ensureWebhookSigningKeys(database(), envelopeCipher())).toEqual(['prod']);
  expect((await readSigningKey(t.prodKey)).status).toBe(200);
  expect((await readSigningKey()).key).toBe(before.key);
  expect(await ensureWebhookSigningKeys(database(), envelopeCipher())).toEqual([]);
});

test('reading the key needs environment:webhook_signing_key:read (environment:* has it)', async () => {
  const created = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'settings only', scopes: ['environment:settings:read'] } }));
  t.secrets.register(created.body.data.secret);
  const refused = await readJson(await t.api('/environment/webhook-signing-key', { key: created.body.data.secret }));
  expect([refused.status, refused.body.error.code]).toEqual([403, 'forbidden']);
  expect(refused.body.error.message).toContain('environment:webhook_signing_key:read');
});
