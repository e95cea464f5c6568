import { database } from '../../support/handles';
import { Nango } from '@nangohq/node';
import { json, uuid } from '../../../lambdas/platform/db/parameters';
import { jsonbTextBytes } from '../../../lambdas/platform/db/stored-document';
import { AUDIT_DETAIL_MAX_BYTES, AUDIT_DETAIL_MAX_CHARS, AUDIT_DETAIL_MAX_ITEMS, boundedAuditDetail } from '../../../lambdas/platform/observability/audit-detail';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { environmentId, insertIntegration } from '../connections/fixtures';

/*
 * The Data API returns at most 64 KB per row: an audit event naming a thousand long connection ids
 * made GET /audit-events answer 500. Details are bounded when written, and a row stored before
 * that is listed as a placeholder.
 */

let t: TestStack;
let nango: Nango;
beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  await insertIntegration('dev', 'openai', 'openai');
});
afterAll(() => t.stop());

type Event = { id: string; action: string; detail: Record<string, unknown> };
async function listEvents(query: string) {
  return readJson(await t.api(`/audit-events${query}`)) as Promise<{ status: number; body: { data: Event[] } }>;
}

test('a metadata update of 1,000 connections with 255-character ids (the real SDK) is listed, its detail bounded and marked', async () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(4, '0')}-${'c'.repeat(250)}`);
  await database().query(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key)
     SELECT :env, id, (SELECT id FROM integrations WHERE environment_id = :env AND unique_key = 'openai'), 'openai' FROM unnest(CAST(:ids AS text[])) id`,
    { env: uuid(await environmentId('dev')), ids: `{${ids.join(',')}}` },
  );
  await nango.setMetadata('openai', ids, { plan: 'pro' });

  const { status, body } = await listEvents('?action=connection.metadata.update');
  expect(status).toBe(200);
  const [event] = body.data;
  expect(event.detail).toMatchObject({ provider_config_key: 'openai', mode: 'replace', truncated: true, connection_ids_count: 1000 });
  expect(event.detail.connection_ids).toEqual(ids.slice(0, AUDIT_DETAIL_MAX_ITEMS).map((id) => id.slice(0, AUDIT_DETAIL_MAX_CHARS)));
  const [stored] = await database().query<{ bytes: number }>('SELECT octet_length(detail::text) AS bytes FROM audit_events WHERE id = :id', { id: uuid(event.id) });
  expect(stored.bytes).toBeLessThanOrEqual(AUDIT_DETAIL_MAX_BYTES);
  // The log line says the same.
  const line = t.logLines().map((l) => JSON.parse(l)).filter((l) => l['event.action'] === 'connection.metadata.update').at(-1);
  expect(line['latchkey.detail']).toEqual(event.detail);
});

test('a legacy row over 64 KB stored before details were bounded is listed as a placeholder with its size', async () => {
  const detail = { connection_ids: Array.from({ length: 1000 }, (_, i) => `${i}-${'x'.repeat(250)}`) };
  const [legacy] = await database().query<{ id: string }>(
    `INSERT INTO audit_events (environment_id, actor_type, action, target_type, outcome, detail)
     VALUES (:env, 'system', 'connection.import', 'connection', 'success', :detail) RETURNING id`,
    { env: uuid(await environmentId('dev')), detail: json(detail) },
  );
  try {
    const { status, body } = await listEvents('?action=connection.import');
    expect(status).toBe(200);
    expect(body.data[0]).toMatchObject({ id: legacy.id, detail: { truncated: true, detail_bytes: jsonbTextBytes(detail) } });
  } finally {
    // The stack's leak check reads every audit row whole, which the Data API refuses for this one.
    await database().query('DELETE FROM audit_events WHERE id = :id', { id: uuid(legacy.id) });
  }
});

test('small details are stored as given; bounded ones always fit, whatever their shape', () => {
  const small = { fields: ['webhook_url'], nested: { a: [1, 2, 3] } };
  expect(boundedAuditDetail(small)).toBe(small);
  const shapes: Record<string, unknown>[] = [
    { note: 'é'.repeat(20_000) },
    Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`field_${i}`, 'v'.repeat(200)])),
    { deep: { deeper: { deepest: { list: Array.from({ length: 5000 }, (_, i) => ({ id: i, name: 'n'.repeat(300) })) } } } },
    { lists: Array.from({ length: 50 }, () => Array.from({ length: 50 }, () => 'z'.repeat(300))) },
  ];
  for (const shape of shapes) {
    const bounded = boundedAuditDetail(shape);
    expect(bounded.truncated).toBe(true);
    expect(jsonbTextBytes(bounded)).toBeLessThanOrEqual(AUDIT_DETAIL_MAX_BYTES);
  }
});
