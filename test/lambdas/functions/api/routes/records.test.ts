import { database } from '../../../../support/handles';
import { Nango } from '@nangohq/node';
import fc from 'fast-check';
import { readJson, startTestStack, type TestStack } from '../../../../support/local-stack';
import { insertIntegration } from '../../../connections/fixtures';

let t: TestStack;
let nango: Nango;

beforeAll(async () => {
  t = await startTestStack();
  nango = new Nango({ secretKey: t.devKey, host: t.baseUrl });
  await insertIntegration('dev', 'openai', 'openai');
  await insertIntegration('prod', 'openai', 'openai');
  for (const id of ['c-1', 'c-2', 'c-purge', 'c-big']) await importConnection(id);
});
afterAll(() => t.stop());

async function importConnection(connectionId: string, key?: string) {
  const res = await t.api('/connections', {
    method: 'POST',
    key,
    json: { provider_config_key: 'openai', connection_id: connectionId, end_user: { id: `user-${connectionId}` }, credentials: { type: 'API_KEY', apiKey: `sk-secret-${connectionId}-0123456789` } },
  });
  expect(res.status).toBe(201);
}

function ingest(body: Record<string, unknown>, key?: string) {
  return t.api('/records', { method: 'POST', key, json: { connection_id: 'c-1', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', ...body } });
}

function list(query: string, headers: Record<string, string> = { 'Connection-Id': 'c-1', 'Provider-Config-Key': 'openai' }, key?: string) {
  return t.api(`/records?${query}`, { headers, key });
}

async function tableSnapshot() {
  const db = database();
  // Digests: whole rows would exceed the Data API's response limit.
  return [await db.query('SELECT md5(r::text) AS digest FROM records r ORDER BY cursor'), await db.query('SELECT * FROM syncs ORDER BY name'), await db.query('SELECT * FROM sync_runs ORDER BY id')];
}

describe('POST /records and GET /records', () => {
  test('upserts by id, skips unchanged payloads (cursor kept), marks deletions, and reads back through the SDK', async () => {
    const first = await readJson(await ingest({ records: [{ id: 'a', name: 'Ada' }, { id: 2, name: 'Bob', nested: { x: 1, y: [1, 2] } }, { id: 'c', name: 'Cy' }] }));
    expect(first).toEqual({ status: 200, body: { added: 3, updated: 0, unchanged: 0, deleted: 0 } });

    const page1 = await nango.listRecords({ connectionId: 'c-1', providerConfigKey: 'openai', model: 'Contact' });
    expect(page1.records.map((r) => r.id)).toEqual(['a', 2, 'c']);
    expect(page1.next_cursor).toBeNull();
    const bob = page1.records[1] as unknown as Record<string, unknown> & { _nango_metadata: Record<string, unknown> };
    expect(bob).toMatchObject({ id: 2, name: 'Bob', nested: { x: 1, y: [1, 2] } });
    expect(bob._nango_metadata).toMatchObject({ last_action: 'ADDED', deleted_at: null, pruned_at: null, cursor: expect.any(String) });

    // Same content (keys reordered) → unchanged; a changed one → updated; one deletion.
    const second = await readJson(await ingest({ records: [{ name: 'Ada', id: 'a' }, { id: 2, nested: { y: [1, 2], x: 1 }, name: 'Bob' }, { id: 'c', name: 'Cyrus' }], deleted: [] }));
    expect(second.body).toEqual({ added: 0, updated: 1, unchanged: 2, deleted: 0 });
    const third = await readJson(await ingest({ deleted: ['a', 'zzz'] }));
    expect(third.body).toEqual({ added: 0, updated: 0, unchanged: 0, deleted: 1 });

    // Change order: Bob (untouched), then Cyrus (updated), then a (deleted).
    const all = await readJson(await list('model=Contact'));
    expect(all.body.records.map((r: { id: unknown; _nango_metadata: { last_action: string } }) => [r.id, r._nango_metadata.last_action])).toEqual([
      [2, 'ADDED'],
      ['c', 'UPDATED'],
      ['a', 'DELETED'],
    ]);
    expect(all.body.records[2]._nango_metadata.deleted_at).toEqual(expect.any(String));
    // Unchanged Bob kept the cursor it had after the first batch.
    expect(all.body.records[0]._nango_metadata.cursor).toBe(bob._nango_metadata.cursor);

    // Cursor paging: a reader that saw the first page resumes after it.
    const p1 = await readJson(await list('model=Contact&limit=2'));
    expect(p1.body.records).toHaveLength(2);
    const p2 = await readJson(await list(`model=Contact&limit=2&cursor=${encodeURIComponent(p1.body.next_cursor)}`));
    expect(p2.body.records.map((r: { id: unknown }) => r.id)).toEqual(['a']);
    expect(p2.body.next_cursor).toBeNull();
    // Filters and ids.
    expect((await readJson(await list('model=Contact&filter=deleted,UPDATED'))).body.records.map((r: { id: unknown }) => r.id)).toEqual(['c', 'a']);
    expect((await readJson(await list('model=Contact&ids=c&ids=2'))).body.records.map((r: { id: unknown }) => r.id)).toEqual([2, 'c']);
    const sdkDeleted = await nango.listRecords({ connectionId: 'c-1', providerConfigKey: 'openai', model: 'Contact', filter: 'deleted' });
    expect(sdkDeleted.records.map((r) => r.id)).toEqual(['a']);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await readJson(await list(`model=Contact&modified_after=${encodeURIComponent(future)}`))).body.records).toEqual([]);
    // Other models are separate.
    expect((await readJson(await list('model=Deal'))).body).toEqual({ next_cursor: null, records: [] });
  });

  test('payloads are envelope-encrypted at rest and the hash column is keyed', async () => {
    await ingest({ records: [{ id: 'secretive', note: 'plain-text-marker-4711' }] });
    const [row] = await database().query<{ payload: Buffer; payload_hash: Buffer }>("SELECT payload, payload_hash FROM records WHERE external_id = 'secretive'");
    expect(row.payload.includes(Buffer.from('plain-text-marker-4711'))).toBe(false);
    expect(row.payload_hash).toHaveLength(32);
  });

  test('an ingest batch and a page read are one Data API statement each when warm', async () => {
    await ingest({ records: [{ id: 'warm', v: 0 }] });
    const control = t.stack.dataApi.control;
    control.resetStats();
    expect((await ingest({ records: Array.from({ length: 200 }, (_, i) => ({ id: `bulk-${i}`, v: i })) })).status).toBe(200);
    expect(control.stats().calls).toEqual({ ExecuteStatement: 1 });
    control.resetStats();
    expect((await list('model=Contact&limit=500')).status).toBe(200);
    expect(control.stats().calls).toEqual({ ExecuteStatement: 1 });
  });

  test('a page is read in as many statements as the Data API response limit needs; next_cursor carries on after limit', async () => {
    // 30 records of 40 KB: more than one Data API response can carry.
    const big = 'x'.repeat(40_000);
    for (let i = 0; i < 2; i += 1) {
      const records = Array.from({ length: 15 }, (_, j) => ({ id: i * 100 + j, big: `${j}${big}` }));
      const res = await t.api('/records', { method: 'POST', json: { connection_id: 'c-big', provider_config_key: 'openai', model: 'Blob', sync_name: 'blobs', records } });
      expect(res.status).toBe(200);
    }
    const headers = { 'Connection-Id': 'c-big', 'Provider-Config-Key': 'openai' };
    const all = [...Array.from({ length: 15 }, (_, j) => j), ...Array.from({ length: 15 }, (_, j) => 100 + j)];
    const read = async (limit: number) => {
      const seen: unknown[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await readJson(await list(`model=Blob&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, headers));
        expect(page.status).toBe(200);
        seen.push(...page.body.records.map((r: { id: unknown }) => r.id));
        cursor = page.body.next_cursor;
        pages += 1;
      } while (cursor);
      return { seen, pages };
    };
    t.stack.dataApi.control.resetStats();
    expect(await read(100)).toEqual({ seen: all, pages: 1 });
    // 1.2 MB of records: two statements at least, plus authentication's.
    expect(t.stack.dataApi.control.stats().calls.ExecuteStatement).toBeGreaterThanOrEqual(2);
    expect(await read(7)).toEqual({ seen: all, pages: 5 });
  });

  test('sync runs: running, then finished once; the last success is reported', async () => {
    const started = await readJson(await t.api('/sync-runs', { method: 'POST', json: { connection_id: 'c-1', provider_config_key: 'openai', sync_name: 'contacts', status: 'running' } }));
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ sync_name: 'contacts', status: 'running', finished_at: null, last_success_at: null });
    const done = await readJson(await t.api(`/sync-runs/${started.body.id}`, { method: 'PATCH', json: { status: 'success' } }));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'success', finished_at: expect.any(String), last_success_at: expect.any(String) });
    expect((await readJson(await t.api(`/sync-runs/${started.body.id}`, { method: 'PATCH', json: { status: 'error' } }))).status).toBe(409);
    expect((await readJson(await t.api(`/sync-runs/${started.body.id}`, { method: 'PATCH', json: { status: 'error' }, key: t.prodKey }))).status).toBe(404);
    const finished = await readJson(await t.api('/sync-runs', { method: 'POST', json: { connection_id: 'c-1', provider_config_key: 'openai', sync_name: 'deals', status: 'error' } }));
    expect(finished.body).toMatchObject({ status: 'error', finished_at: expect.any(String), last_success_at: null });
  });

  test('errors: missing headers, unknown or foreign connection, bad queries, missing scope', async () => {
    expect(await readJson(await list('model=Contact', {}))).toMatchObject({ status: 400, body: { error: { code: 'invalid_headers' } } });
    const unknown = await readJson(await list('model=Contact', { 'Connection-Id': 'nope', 'Provider-Config-Key': 'openai' }));
    expect(unknown).toEqual({ status: 400, body: { error: { code: 'unknown_connection', message: 'Provided ConnectionId and ProviderConfigKey does not match a valid connection' } } });
    // prod's key sees no dev connection, in either direction.
    expect((await readJson(await list('model=Contact', undefined, t.prodKey))).body.error.code).toBe('unknown_connection');
    expect((await readJson(await ingest({ records: [{ id: 'x' }] }, t.prodKey))).body.error.code).toBe('unknown_connection');
    for (const q of ['model=contact', 'model=Contact&limit=0', 'model=Contact&limit=10001', 'model=Contact&filter=gone', 'model=Contact&cursor=bm9wZQ==', 'model=Contact&extra=1', `model=Contact&modified_after=2000-01-01T00:00:00Z`]) {
      expect((await readJson(await list(q))).body.error.code).toBe('invalid_query_params');
    }
    const reader = await readJson(await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'reader', scopes: ['environment:records:read'] } }));
    expect(reader.status).toBe(201);
    const readerKey: string = reader.body.data.secret;
    t.secrets.register(readerKey);
    expect((await readJson(await list('model=Contact', undefined, readerKey))).status).toBe(200);
    expect(await readJson(await ingest({ records: [] }, readerKey))).toMatchObject({ status: 403, body: { error: { code: 'forbidden', message: 'Insufficient scope. Required: environment:records:write' } } });
  });

  test('connection ids and provider config keys follow the one domain schema (as on /connections): control characters and foreign key characters are refused by name', async () => {
    const run = { connection_id: 'c-1', provider_config_key: 'openai', sync_name: 'contacts', status: 'success' };
    const before = await tableSnapshot();
    for (const [field, value] of [['connection_id', 'c-1\u0007'], ['provider_config_key', 'open/ai']] as const) {
      const { status, body } = await readJson(await t.api('/sync-runs', { method: 'POST', json: { ...run, [field]: value } }));
      expect({ status, code: body.error.code, path: body.error.errors?.[0]?.path }).toEqual({ status: 400, code: 'invalid_body', path: [field] });
      const ingested = await readJson(await ingest({ [field]: value, records: [{ id: 1 }] }));
      expect({ status: ingested.status, code: ingested.body.error.code, path: ingested.body.error.errors?.[0]?.path }).toEqual({ status: 400, code: 'invalid_body', path: [field] });
    }
    const read = await readJson(await list('model=Contact', { 'Connection-Id': 'c-1', 'Provider-Config-Key': 'open/ai' }));
    expect({ status: read.status, code: read.body.error.code }).toEqual({ status: 400, code: 'invalid_headers' });
    expect(await tableSnapshot()).toEqual(before);
  });

  test('property: any malformed GET /records query gets 400 invalid_query_params in the Nango envelope', async () => {
    const bad = fc.oneof(
      fc.stringMatching(/^[a-z][a-z_]{0,11}$/).filter((k) => !(k in Object.prototype) && !['model', 'variant', 'delta', 'modified_after', 'limit', 'filter', 'cursor', 'ids'].includes(k)).map((k) => `model=Contact&${k}=1`),
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 10_001 }), fc.constant('ten')).map((n) => `model=Contact&limit=${n}`),
      fc.string({ minLength: 1, maxLength: 40 }).filter((c) => !/^[A-Za-z0-9+/]+={0,2}$/.test(c)).map((c) => `model=Contact&cursor=${encodeURIComponent(c)}`),
      fc.stringMatching(/^[a-z]{1,10}$/).filter((f) => !['added', 'updated', 'deleted'].includes(f)).map((f) => `model=Contact&filter=${f}`),
      fc.string({ maxLength: 20 }).filter((d) => Number.isNaN(Date.parse(d))).map((d) => `model=Contact&modified_after=${encodeURIComponent(d)}`),
      fc.constant('limit=10'),
    );
    await fc.assert(
      fc.asyncProperty(bad, async (query) => {
        const { status, body } = await readJson(await list(query));
        expect(status).toBe(400);
        expect(body.error.code).toBe('invalid_query_params');
      }),
      // No shrinking marathon if it ever fails: each run is an HTTP request.
      { numRuns: 60, endOnFailure: true },
    );
  });

  test('bad ingest bodies get a 4xx in the Nango envelope and change nothing', async () => {
    const before = await tableSnapshot();
    const badRecord = fc.oneof(
      fc.record({ id: fc.oneof(fc.constant(''), fc.boolean(), fc.constant(null), fc.double({ noInteger: true })) }),
      fc.record({ name: fc.string() }),
      fc.record({ id: fc.constant('dup'), _nango_metadata: fc.object() }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ records: fc.array(badRecord, { minLength: 1, maxLength: 3 }) }),
          fc.record({ records: fc.constant([{ id: 'dup' }, { id: 'dup' }]) }),
          fc.record({ records: fc.constant([{ id: 'x' }]), deleted: fc.constant(['x']) }),
          fc.record({ model: fc.string().filter((m) => !/^[A-Z][a-zA-Z0-9_-]+$/.test(m)) }),
          fc.record({ sync_name: fc.constant('') }),
          fc.record({ unexpected: fc.jsonValue() }),
          fc.record({ records: fc.constant(Array.from({ length: 1001 }, (_, i) => ({ id: i }))) }),
          fc.record({ records: fc.constant([{ id: 'huge', blob: 'y'.repeat(50_000) }]) }),
        ),
        async (body) => {
          const res = await readJson(await ingest(body));
          expect(res.status).toBe(400);
          expect(res.body.error.code).toBe('invalid_body');
        },
      ),
      { numRuns: 40 },
    );
    expect(await tableSnapshot()).toEqual(before);
  });
});

describe('DELETE /connections/{id}', () => {
  test('soft delete hides the records at once and cancels running sync runs', async () => {
    await t.api('/records', { method: 'POST', json: { connection_id: 'c-2', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', records: [{ id: 1 }] } });
    const run = await readJson(await t.api('/sync-runs', { method: 'POST', json: { connection_id: 'c-2', provider_config_key: 'openai', sync_name: 'contacts', status: 'running' } }));
    expect((await t.api('/connections/c-2?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
    const headers = { 'Connection-Id': 'c-2', 'Provider-Config-Key': 'openai' };
    expect((await readJson(await list('model=Contact', headers))).body.error.code).toBe('unknown_connection');
    const [row] = await database().query<{ status: string }>('SELECT status FROM sync_runs WHERE id = :id::uuid', { id: run.body.id });
    expect(row.status).toBe('cancelled');
    expect((await readJson(await t.api('/records', { method: 'POST', json: { connection_id: 'c-2', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', records: [{ id: 2 }] } }))).body.error.code).toBe('unknown_connection');
    // The rows stay until the retention sweep.
    const [count] = await database().query<{ n: number }>("SELECT count(*)::int AS n FROM records r JOIN connections c ON c.id = r.connection_id WHERE c.connection_id = 'c-2'");
    expect(count.n).toBe(1);
  });

  test('purge=true erases the connection, its records, runs and end user at once, audited', async () => {
    await t.api('/records', { method: 'POST', json: { connection_id: 'c-purge', provider_config_key: 'openai', model: 'Contact', sync_name: 'contacts', records: [{ id: 1 }, { id: 2 }] } });
    await t.api('/sync-runs', { method: 'POST', json: { connection_id: 'c-purge', provider_config_key: 'openai', sync_name: 'contacts', status: 'success' } });
    const [before] = await database().query<{ id: string }>("SELECT id FROM connections WHERE connection_id = 'c-purge'");
    expect((await readJson(await t.api('/connections/c-purge?provider_config_key=openai&purge=true', { method: 'DELETE', key: t.prodKey }))).body.error.code).toBe('unknown_connection');
    expect(await readJson(await t.api('/connections/c-purge?provider_config_key=openai&purge=true', { method: 'DELETE' }))).toEqual({ status: 200, body: { success: true } });
    const [left] = await database().query<Record<string, number>>(
      `SELECT (SELECT count(*) FROM connections WHERE id = :id::uuid)::int AS connections, (SELECT count(*) FROM records WHERE connection_id = :id::uuid)::int AS records,
              (SELECT count(*) FROM sync_runs WHERE connection_id = :id::uuid)::int AS runs, (SELECT count(*) FROM syncs WHERE connection_id = :id::uuid)::int AS syncs,
              (SELECT count(*) FROM end_users WHERE end_user_id = 'user-c-purge')::int AS end_users`,
      { id: before.id },
    );
    expect(left).toEqual({ connections: 0, records: 0, runs: 0, syncs: 0, end_users: 0 });
    const actions = await database().query<{ action: string }>("SELECT action FROM audit_events WHERE detail->>'connection_id' = 'c-purge' ORDER BY occurred_at, action");
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(['connection.delete', 'connection.purge', 'connection.hard_delete']));
    // Gone: a second purge finds nothing.
    expect((await readJson(await t.api('/connections/c-purge?provider_config_key=openai&purge=true', { method: 'DELETE' }))).status).toBe(400);
    expect((await readJson(await t.api('/connections/c-1?provider_config_key=openai&purge=maybe', { method: 'DELETE' }))).body.error.code).toBe('invalid_query_params');
  });
});
