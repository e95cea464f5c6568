import { database } from '../support/handles';
import { Nango } from '@nangohq/node';
import type { AxiosError } from 'axios';
import fc from 'fast-check';
import { json, uuid } from '../../lambdas/platform/db/parameters';
import { jsonbTextBytes, STORED_DOCUMENT_LIMITS } from '../../lambdas/platform/db/stored-document';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';
import { environmentId, insertIntegration } from '../lambdas/connections/fixtures';

/*
 * Issue 14, item 5: one 70 KB POST /connections/metadata was accepted, and afterwards GET
 * /connections and GET /connections/{id} answered 500 (a row over the Data API's 64 KB). Every
 * stored document is capped at write time, a row at all its caps still reads, and a list is read
 * in statements that each stay under the Data API's 1 MiB response.
 */

let t: TestStack;
let nango: Nango;
const { connectionMetadata, connectionConfig, connectionCredentials } = STORED_DOCUMENT_LIMITS;

beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  await insertIntegration('dev', 'openai', 'openai');
});
afterAll(() => t.stop());

async function importApiKey(connectionId: string, extra: Record<string, unknown> = {}) {
  const apiKey = `sk-${connectionId}-00000000000`;
  t.secrets.register(apiKey);
  return readJson(await t.api('/connections', { method: 'POST', json: { provider_config_key: 'openai', connection_id: connectionId, credentials: { type: 'API_KEY', apiKey }, ...extra } }));
}

/** An object whose jsonb text is exactly `bytes` long (for bytes ≥ 12). */
function documentOf(bytes: number): Record<string, string> {
  const overhead = jsonbTextBytes({ pad: '' });
  return { pad: 'x'.repeat(bytes - overhead) };
}

test('jsonbTextBytes is the length of PostgreSQL jsonb text, numbers and escapes included', async () => {
  const db = database();
  await fc.assert(
    fc.asyncProperty(
      fc.jsonValue({ maxDepth: 3 }).filter((v) => !JSON.stringify(v).includes('\\u0000')),
      async (value) => {
        const [row] = await db.query<{ bytes: number }>('SELECT octet_length(CAST(:doc AS jsonb)::text) AS bytes', { doc: JSON.stringify(value) });
        expect(jsonbTextBytes(value)).toBe(row.bytes);
      },
    ),
    { numRuns: 150 },
  );
  // Exponents are written out: a few bytes of JSON can be hundreds as stored.
  expect(jsonbTextBytes([1e300])).toBe(303);
  expect(jsonbTextBytes(documentOf(100))).toBe(100);
});

test('the proof: a 70 KB metadata write is refused (400, with the real SDK), and the environment still lists and reads', async () => {
  expect((await importApiKey('big-meta')).status).toBe(201);
  const err = (await nango.setMetadata('openai', 'big-meta', { blob: 'x'.repeat(70_000) }).catch((e: unknown) => e)) as AxiosError<{ error: { code: string } }>;
  expect(err.response?.status).toBe(400);
  expect(err.response?.data.error.code).toBe('invalid_body');
  expect((await nango.listConnections()).connections.length).toBeGreaterThan(0);
  expect((await nango.getConnection('openai', 'big-meta')).metadata).toEqual({});
});

test('every writer of a stored document refuses one over its cap, and writes nothing', async () => {
  const over = (bytes: number) => documentOf(bytes + 1);
  expect((await importApiKey('over-meta', { metadata: over(connectionMetadata) })).status).toBe(400);
  expect((await importApiKey('over-config', { connection_config: over(connectionConfig) })).status).toBe(400);
  const bigCredentials = await readJson(
    await t.api('/connections', { method: 'POST', json: { provider_config_key: 'openai', connection_id: 'over-cred', credentials: { type: 'BASIC', username: 'u', password: 'p'.repeat(connectionCredentials) } } }),
  );
  expect(bigCredentials.status).toBe(400);
  const session = await t.api('/connect/sessions', {
    method: 'POST',
    json: { end_user: { id: 'eu-1' }, integrations_config_defaults: { openai: { connection_config: over(STORED_DOCUMENT_LIMITS.sessionConfigDefaults) } } },
  });
  expect(session.status).toBe(400);
  const integration = await t.api('/integrations', { method: 'POST', json: { provider: 'openai', unique_key: 'openai-big', custom: Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`k${i}`, 'v'.repeat(4000)])) } });
  expect(integration.status).toBe(400);
  const provider = await t.api('/providers/huge', { method: 'PUT', json: { display_name: 'Huge', auth_mode: 'API_KEY', docs: `https://example.com/${'d'.repeat(9000)}` } });
  expect(provider.status).toBe(400);
  const written = await database().query("SELECT 1 FROM connections WHERE connection_id LIKE 'over-%'");
  expect(written).toHaveLength(0);
  expect(await database().query("SELECT 1 FROM integrations WHERE unique_key = 'openai-big'")).toHaveLength(0);
});

test('a merge cannot grow metadata past its cap: PATCH answers 400 and writes nothing', async () => {
  expect((await importApiKey('merge-meta', { metadata: documentOf(connectionMetadata - 100) })).status).toBe(201);
  const patch = await readJson(await t.api('/connections/metadata', { method: 'PATCH', json: { connection_id: 'merge-meta', provider_config_key: 'openai', metadata: { more: 'y'.repeat(200) } } }));
  expect(patch.status).toBe(400);
  expect((await nango.getConnection('openai', 'merge-meta')).metadata).toEqual(documentOf(connectionMetadata - 100));
});

test('a connection with every document at its cap reads with credentials and lists', async () => {
  const endUser = { id: 'e'.repeat(255), email: `${'m'.repeat(240)}@example.com`, display_name: 'n'.repeat(255), organization: { id: 'o'.repeat(255), display_name: 'p'.repeat(255) } };
  const tags = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`t${i}${'k'.repeat(60)}`, 'v'.repeat(255)]));
  const password = 'w'.repeat(connectionCredentials - jsonbTextBytes({ type: 'BASIC', username: 'u', password: '' }));
  await insertIntegration('dev', 'twilio', 'twilio');
  t.secrets.register(password);
  const res = await readJson(
    await t.api('/connections', {
      method: 'POST',
      json: {
        provider_config_key: 'twilio',
        connection_id: 'c'.repeat(255),
        metadata: documentOf(connectionMetadata),
        connection_config: documentOf(connectionConfig),
        end_user: { ...endUser, tags },
        tags,
        webhook_url_override: `https://hooks.example.com/${'u'.repeat(2000)}`,
        credentials: { type: 'BASIC', username: 'u', password },
      },
    }),
  );
  expect(res.status).toBe(201);
  const read = await readJson(await t.api(`/connections/${'c'.repeat(255)}?provider_config_key=twilio`));
  expect(read.status).toBe(200);
  expect(read.body.credentials.password).toBe(password);
  expect((await t.api('/connections')).status).toBe(200);
});

test('a list of large rows is read in as many Data API statements as the 1 MiB limit needs, into one response', async () => {
  const envId = await environmentId('dev');
  const [integration] = await database().query<{ id: string }>("SELECT id FROM integrations WHERE environment_id = :env AND unique_key = 'openai'", { env: uuid(envId) });
  await database().query(
    `INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key, metadata)
     SELECT :env, 'bulk-' || lpad(n::text, 4, '0'), :integration, 'openai', :metadata FROM generate_series(1, 150) n`,
    { env: uuid(envId), integration: uuid(integration.id), metadata: json(documentOf(connectionMetadata)) },
  );
  t.stack.dataApi.control.resetStats();
  const res = await readJson(await t.api('/connections?integrationId=openai&limit=1000'));
  expect(res.status).toBe(200);
  const bulk = (res.body.connections as { connection_id: string }[]).filter((c) => c.connection_id.startsWith('bulk-'));
  expect(bulk.map((c) => c.connection_id)).toEqual(Array.from({ length: 150 }, (_, i) => `bulk-${String(i + 1).padStart(4, '0')}`));
  expect(res.body.next_cursor).toBeNull();
  // 150 rows of 8 KiB metadata are about 2.5 MB as the Data API sends them: three statements at least, plus authentication's.
  expect(t.stack.dataApi.control.stats().calls.ExecuteStatement).toBeGreaterThanOrEqual(3);
  // The default (no limit) page as the SDK asks for it.
  expect((await nango.listConnections()).connections.filter((c) => c.connection_id.startsWith('bulk-'))).toHaveLength(150);
});
