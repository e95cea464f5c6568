import { database, envelopeCipher, secretHasher } from '../../support/handles';
import { SYSTEM_REQUEST, type AuditBase } from '../../../lambdas/audit/audit-event';
import { purgeConnection } from '../../../lambdas/connections/connection-purge';
import { setTimeout as sleep } from 'node:timers/promises';
import { uuid, type Parameters } from '../../../lambdas/platform/db/parameters';
import { ingest } from '../../../lambdas/records/record-service';
import { recordSyncRun } from '../../../lambdas/records/sync-store';
import { deleteInBatches, type SweepBudget } from '../../../lambdas/platform/db/batched-delete';
import type { SqlExecutor } from '../../../lambdas/platform/db/data-api';
import { hardDeleteConnection } from '../../../lambdas/connections/connection-hard-delete';
import { sweepDeletedConnections } from '../../../lambdas/sweeps/deleted-connections';
import { sweepOrphans } from '../../../lambdas/sweeps/orphans';
import { sweepPruneRecords } from '../../../lambdas/sweeps/prune-records';
import { sweepStaleSyncs } from '../../../lambdas/sweeps/stale-syncs';
import { SCHEDULES } from '../../../lib/topology';
import { readJson, startTestStack, type TestStack } from '../../support/local-stack';
import { environmentId, insertIntegration } from '../connections/fixtures';

let t: TestStack;
let devId: string;

const DAY = 86_400_000;
const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
// Bounded in batches too: a sweep that would never stop ends at once, with complete: false, rather than at the deadline.
const budget = (extra: Partial<SweepBudget> = {}): SweepBudget => ({ batchSize: 500, recordBatchSize: 50, deadline: Date.now() + 60_000, maxBatches: 200, ...extra });

beforeAll(async () => {
  t = await startTestStack();
  devId = await environmentId('dev');
  await insertIntegration('dev', 'openai', 'openai');
});
afterAll(() => t.stop());

/** A live connection with an end user, created through the API (its rows are then backdated where needed). */
async function connection(connectionId: string, endUser = `user-${connectionId}`): Promise<string> {
  const res = await t.api('/connections', {
    method: 'POST',
    json: { provider_config_key: 'openai', connection_id: connectionId, end_user: { id: endUser }, credentials: { type: 'API_KEY', apiKey: `sk-secret-${connectionId}-0123456789` } },
  });
  expect(res.status).toBe(201);
  const [row] = await database().query<{ id: string }>('SELECT id FROM connections WHERE connection_id = :cid AND deleted_at IS NULL', { cid: connectionId });
  return row.id;
}

async function write(connectionId: string, count: number, now: Date, opts: { model?: string; sync?: string; version?: number } = {}) {
  const records = Array.from({ length: count }, (_, i) => ({ id: `r-${i}`, v: opts.version ?? 0 }));
  const target = { environmentId: devId, providerConfigKey: 'openai', connectionId };
  const deps = { db: database(), cipher: envelopeCipher(), hasher: await secretHasher() };
  // In batches of 1000, as the route takes them.
  for (let i = 0; i < records.length; i += 1000) {
    const batch = records.slice(i, i + 1000);
    const counts = await ingest(deps, target, { model: opts.model ?? 'Contact', syncName: opts.sync ?? 'contacts', records: batch, deleted: [] }, now);
    // Every record of the batch was written (a missing connection would answer undefined).
    expect(counts && counts.added + counts.updated + counts.unchanged).toBe(batch.length);
    expect(counts?.deleted).toBe(0);
  }
}

async function count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const [row] = await database().query<{ n: number }>(`SELECT (${sql})::int AS n`, params as never);
  return row.n;
}

/** Records of the connection row that still hold their payload. */
const unpruned = (connectionRowId: string) => count('SELECT count(*) FROM records WHERE connection_id = :id AND payload IS NOT NULL', { id: uuid(connectionRowId) });

const recordsOf = (rowId: string) => count('SELECT count(*) FROM records WHERE connection_id = :id', { id: uuid(rowId) });

/** Another session holding the row locks of the records `where` picks, as a writer in the middle of its transaction does. */
async function holdRecordLocks(where: string, params: Parameters): Promise<{ locked: number; release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let held!: (locked: number) => void;
  const holding = new Promise<number>((resolve) => (held = resolve));
  const session = database().transaction(async (tx) => {
    held((await tx.query(`SELECT id FROM records WHERE ${where} FOR UPDATE`, params)).length);
    await released;
  });
  const locked = await Promise.race([holding, session.then(() => 0)]);
  return { locked, release: () => (release(), session) };
}

/** Whether `work` blocked on a row lock before it settled (the server's own view of waiting statements). */
async function blockedOnLock(work: Promise<unknown>): Promise<boolean> {
  let settled = false;
  work.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    if ((await count("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")) > 0) return true;
    await sleep(10);
  }
  return false;
}

describe('prune-records', () => {
  test('prunes payloads exactly 30 days after the last update, keeping id, hash and metadata', async () => {
    const rowId = await connection('prune-1');
    await write('prune-1', 120, T0);
    const due = at(30 * DAY);
    expect((await sweepPruneRecords(database(), new Date(due.getTime() - 1), budget())).recordsPruned).toBe(0);
    const result = await sweepPruneRecords(database(), due, budget());
    expect(result).toEqual({ recordsPruned: 120, pruneBudgetExhausted: 0 });
    const [row] = await database().query<{ payload: Buffer | null; payload_hash: Buffer; pruned_at: Date; external_id: string }>(
      "SELECT payload, payload_hash, pruned_at, external_id FROM records WHERE connection_id = :id AND external_id = 'r-7'",
      { id: uuid(rowId) },
    );
    expect(row).toMatchObject({ payload: null, pruned_at: due, external_id: 'r-7' });
    expect(row.payload_hash).toHaveLength(32);
    // Idempotent: nothing left to prune.
    expect((await sweepPruneRecords(database(), at(40 * DAY), budget())).recordsPruned).toBe(0);
    // Readers see the pruned record without its payload.
    const page = (await readJson(await t.api('/records?model=Contact&ids=r-7', { headers: { 'Connection-Id': 'prune-1', 'Provider-Config-Key': 'openai' } }))).body;
    expect(page.records).toEqual([{ id: 'r-7', _nango_metadata: expect.objectContaining({ pruned_at: due.toISOString() }) }]);
    // The same payload sent again comes back (and moves the cursor: the stored state changed).
    await write('prune-1', 1, at(41 * DAY));
    const again = (await readJson(await t.api('/records?model=Contact&ids=r-0', { headers: { 'Connection-Id': 'prune-1', 'Provider-Config-Key': 'openai' } }))).body;
    expect(again.records[0]).toMatchObject({ id: 'r-0', v: 0, _nango_metadata: { pruned_at: null, last_action: 'UPDATED' } });
  });
});

describe('stale-syncs', () => {
  test('deletes every record of a sync exactly 60 days after its last execution; the sync stays; others are untouched', async () => {
    const rowId = await connection('stale-1');
    await write('stale-1', 80, T0, { sync: 'old-sync', model: 'Old' });
    await write('stale-1', 10, T0, { sync: 'busy-sync', model: 'Busy' });
    // busy-sync runs again later: its records stay.
    await recordSyncRun(database(), { environmentId: devId, providerConfigKey: 'openai', connectionId: 'stale-1' }, { syncName: 'busy-sync', status: 'success', startedAt: at(30 * DAY), finishedAt: at(30 * DAY) });
    const due = at(60 * DAY);
    expect((await sweepStaleSyncs(database(), new Date(due.getTime() - 1), budget())).staleSyncRecordsDeleted).toBe(0);
    expect(await sweepStaleSyncs(database(), due, budget())).toEqual({ staleSyncsReset: 1, staleSyncRecordsDeleted: 80, staleSyncsBudgetExhausted: 0 });
    expect(await count("SELECT count(*) FROM records WHERE connection_id = :id AND sync_name = 'old-sync'", { id: uuid(rowId) })).toBe(0);
    expect(await count("SELECT count(*) FROM records WHERE connection_id = :id AND sync_name = 'busy-sync'", { id: uuid(rowId) })).toBe(10);
    expect(await count("SELECT count(*) FROM syncs WHERE connection_id = :id AND name = 'old-sync' AND records_reset_at IS NOT NULL", { id: uuid(rowId) })).toBe(1);
    // Starts fresh: the next run writes everything as new.
    await write('stale-1', 3, at(61 * DAY), { sync: 'old-sync', model: 'Old' });
    expect(await count("SELECT count(*) FROM records WHERE connection_id = :id AND sync_name = 'old-sync' AND last_action = 'ADDED'", { id: uuid(rowId) })).toBe(3);
  });
});

describe('deleted-connections', () => {
  async function softDelete(connectionId: string, when: Date) {
    expect((await t.api(`/connections/${connectionId}?provider_config_key=openai`, { method: 'DELETE' })).status).toBe(200);
    await database().execute('UPDATE connections SET deleted_at = :when WHERE connection_id = :cid AND deleted_at IS NOT NULL', { when, cid: connectionId });
  }

  test('hard-deletes exactly at deleted_at + retention: credentials, records, runs, outbox rows, and the end user when unused', async () => {
    const a = await connection('gone-a', 'shared-user');
    const b = await connection('gone-b', 'shared-user');
    await write('gone-a', 130, T0);
    await recordSyncRun(database(), { environmentId: devId, providerConfigKey: 'openai', connectionId: 'gone-a' }, { syncName: 'contacts', status: 'success', startedAt: T0, finishedAt: T0 });
    await database().execute("INSERT INTO outbox (environment_id, connection_id, event_type, payload, status) VALUES (:env, :id, 'auth', '{}'::jsonb, 'delivered')", { env: uuid(devId), id: uuid(a) });
    await softDelete('gone-a', T0);
    await softDelete('gone-b', at(DAY));
    const due = at(31 * DAY);
    expect((await sweepDeletedConnections(database(), new Date(due.getTime() - 1), budget())).connectionsHardDeleted).toBe(0);
    expect(await sweepDeletedConnections(database(), due, budget())).toEqual({ connectionsHardDeleted: 1, connectionRecordsDeleted: 130, endUsersDeleted: 0, deletedConnectionsBudgetExhausted: 0 });
    for (const table of ['connections WHERE id', 'records WHERE connection_id', 'sync_runs WHERE connection_id', 'syncs WHERE connection_id', 'outbox WHERE connection_id']) {
      expect(await count(`SELECT count(*) FROM ${table} = :id`, { id: uuid(a) })).toBe(0);
    }
    // The end user is still used by gone-b (soft-deleted, not yet due): kept until gone-b goes.
    expect(await count("SELECT count(*) FROM end_users WHERE end_user_id = 'shared-user'")).toBe(1);
    expect(await sweepDeletedConnections(database(), at(32 * DAY), budget())).toMatchObject({ connectionsHardDeleted: 1, endUsersDeleted: 1 });
    expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(b) })).toBe(0);
    expect(await count("SELECT count(*) FROM end_users WHERE end_user_id = 'shared-user'")).toBe(0);
    const audit = await database().query<{ actor_id: string; detail: { reason: string } }>("SELECT actor_id, detail FROM audit_events WHERE action = 'connection.hard_delete' AND detail->>'connection_id' LIKE 'gone-%'");
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actor_id: 'deleted-connections', detail: { reason: 'retention' } });
  });

  test('keeps an end user a live connect session still names (the end-users sweep takes it later)', async () => {
    const id = await connection('with-session', 'eu-with-session');
    const session = await readJson(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'eu-with-session' } } }));
    expect(session.status).toBe(201);
    t.secrets.register(session.body.data.token);
    await softDelete('with-session', T0);
    // As of a date before the session expires: it is live then.
    expect(await sweepDeletedConnections(database(), at(40 * DAY), budget())).toMatchObject({ connectionsHardDeleted: 1, endUsersDeleted: 0 });
    expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(id) })).toBe(0);
    expect(await count("SELECT count(*) FROM end_users WHERE end_user_id = 'eu-with-session'")).toBe(1);
  });

  test("follows the environment's retention setting", async () => {
    expect((await t.api('/environment', { method: 'PATCH', json: { connection_retention_days: 5 } })).status).toBe(200);
    try {
      const id = await connection('short-1');
      await softDelete('short-1', T0);
      expect((await sweepDeletedConnections(database(), new Date(at(5 * DAY).getTime() - 1), budget())).connectionsHardDeleted).toBe(0);
      expect((await sweepDeletedConnections(database(), at(5 * DAY), budget())).connectionsHardDeleted).toBe(1);
      expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(id) })).toBe(0);
    } finally {
      await t.api('/environment', { method: 'PATCH', json: { connection_retention_days: 31 } });
    }
  });

  test('an interrupted sweep leaves the connection invisible and due, and the next run finishes it', async () => {
    const id = await connection('resume-1');
    await write('resume-1', 260, T0);
    await softDelete('resume-1', T0);
    const first = await sweepDeletedConnections(database(), at(40 * DAY), budget({ maxBatches: 3 }));
    // One lookup and two batches of 50 records, then the budget stopped it.
    expect(first).toEqual({ connectionsHardDeleted: 0, connectionRecordsDeleted: 100, endUsersDeleted: 0, deletedConnectionsBudgetExhausted: 1 });
    expect(await recordsOf(id)).toBe(160);
    expect((await t.api('/records?model=Contact', { headers: { 'Connection-Id': 'resume-1', 'Provider-Config-Key': 'openai' } })).status).toBe(400);
    const second = await sweepDeletedConnections(database(), at(40 * DAY), budget());
    expect(second).toEqual({ connectionsHardDeleted: 1, connectionRecordsDeleted: 160, endUsersDeleted: 1, deletedConnectionsBudgetExhausted: 0 });
    expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(id) })).toBe(0);
  });

  test('a run whose deadline has passed starts nothing and says the budget ran out', async () => {
    const id = await connection('late-1');
    await softDelete('late-1', T0);
    expect(await sweepDeletedConnections(database(), at(40 * DAY), budget({ deadline: Date.now() - 1 }))).toEqual({
      connectionsHardDeleted: 0,
      connectionRecordsDeleted: 0,
      endUsersDeleted: 0,
      deletedConnectionsBudgetExhausted: 1,
    });
    expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(id) })).toBe(1);
    expect((await sweepDeletedConnections(database(), at(40 * DAY), budget())).connectionsHardDeleted).toBe(1);
  });

  test('one run goes on past the connections one lookup returns', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      ids.push(await connection(`many-${i}`));
      await softDelete(`many-${i}`, T0);
    }
    expect(await sweepDeletedConnections(database(), at(40 * DAY), budget())).toMatchObject({ connectionsHardDeleted: 25, deletedConnectionsBudgetExhausted: 0 });
    expect(await count('SELECT count(*) FROM connections WHERE id = ANY (CAST(:ids AS uuid[]))', { ids: `{${ids.join(',')}}` })).toBe(0);
  });

  test('records written while the row delete waits are deleted first, then the row goes (the writer lost its race)', async () => {
    const doomed = await connection('late-write');
    const other = await connection('late-writer');
    await write('late-write', 30, T0);
    await write('late-writer', 5, T0);
    await softDelete('late-write', T0);
    // Another writer moves one record under the doomed row just before its row delete runs, once.
    let raced = false;
    const db = database();
    const race = async (sql: string) => {
      if (raced || !sql.includes('DELETE FROM connections c WHERE c.id = :id')) return;
      raced = true;
      await db.execute('UPDATE records SET connection_id = :doomed WHERE ctid = (SELECT ctid FROM records WHERE connection_id = :other LIMIT 1)', { doomed: uuid(doomed), other: uuid(other) });
    };
    const racing: SqlExecutor = {
      query: async (sql, params, options) => (await race(sql), db.query(sql, params, options)),
      execute: async (sql, params, options) => (await race(sql), db.execute(sql, params, options)),
    };
    const row = { id: doomed, environmentId: devId, connectionId: 'late-write', providerConfigKey: 'openai' };
    const audit = { actor: { type: 'system' as const, id: 'test' }, request: SYSTEM_REQUEST, reason: 'retention' as const };
    expect(await hardDeleteConnection(racing, row, at(40 * DAY), budget(), audit)).toEqual({ recordsDeleted: 31, connectionDeleted: true, endUserDeleted: true, complete: true });
    expect(raced).toBe(true);
    expect([await recordsOf(doomed), await recordsOf(other)]).toEqual([0, 4]);
    const [event] = await database().query<{ target_type: string }>("SELECT target_type FROM audit_events WHERE action = 'connection.hard_delete' AND detail->>'connection_id' = 'late-write'");
    expect(event.target_type).toBe('connection');
    // Once more: the row is gone, so there is nothing left to do (and nothing to wait for).
    expect(await hardDeleteConnection(database(), row, at(40 * DAY), budget(), audit)).toEqual({ recordsDeleted: 0, connectionDeleted: false, endUserDeleted: false, complete: true });
  });

  test('a hard delete waits for a record another session holds (a delete takes no lock first), then finishes', async () => {
    const doomed = await connection('held-record');
    await write('held-record', 5, T0);
    await softDelete('held-record', T0);
    const holder = await holdRecordLocks("connection_id = :id AND external_id = 'r-0'", { id: uuid(doomed) });
    expect(holder.locked).toBe(1);
    const row = { id: doomed, environmentId: devId, connectionId: 'held-record', providerConfigKey: 'openai' };
    const audit = { actor: { type: 'system' as const, id: 'test' }, request: SYSTEM_REQUEST, reason: 'retention' as const };
    // Few batches: skipping the held record instead of waiting for it would spend them all and stop unfinished.
    const deleting = hardDeleteConnection(database(), row, at(40 * DAY), budget({ maxBatches: 10 }), audit);
    const blocked = await blockedOnLock(deleting);
    await holder.release();
    expect(blocked).toBe(true);
    expect(await deleting).toEqual({ recordsDeleted: 5, connectionDeleted: true, endUserDeleted: true, complete: true });
  });

  test('two sweeps at once share the work: every row deleted once, counts add up', async () => {
    const ids = [await connection('twin-1'), await connection('twin-2')];
    await write('twin-1', 600, T0);
    await write('twin-2', 400, T0);
    await softDelete('twin-1', T0);
    await softDelete('twin-2', T0);
    const results = await Promise.all([sweepDeletedConnections(database(), at(40 * DAY), budget()), sweepDeletedConnections(database(), at(40 * DAY), budget())]);
    expect(results[0].connectionRecordsDeleted + results[1].connectionRecordsDeleted).toBe(1000);
    expect(results[0].connectionsHardDeleted + results[1].connectionsHardDeleted).toBe(2);
    for (const id of ids) expect(await count('SELECT count(*) FROM connections WHERE id = :id', { id: uuid(id) })).toBe(0);
  });
});

describe('purge', () => {
  const key = (connectionId: string) => ({ environmentId: devId, providerConfigKey: 'openai', connectionId });
  const base: AuditBase = { environmentId: '', actor: { type: 'system', id: 'purge-test' }, request: SYSTEM_REQUEST, outcome: 'success' };
  const rowsOf = (connectionId: string) =>
    count(
      `SELECT (SELECT count(*) FROM connections WHERE connection_id = :cid)
            + (SELECT count(*) FROM records r JOIN connections c ON c.id = r.connection_id WHERE c.connection_id = :cid)
            + (SELECT count(*) FROM end_users WHERE end_user_id = :user)`,
      { cid: connectionId, user: `user-${connectionId}` },
    );

  test('a purge the budget interrupts is pending (the route answers 202); the next sweep, long before retention, erases every row', async () => {
    const id = await connection('purge-big');
    await write('purge-big', 260, T0);
    const budgetLeft = budget({ maxBatches: 2 });
    expect(await purgeConnection(database(), key('purge-big'), T0, budgetLeft, { ...base, environmentId: devId })).toBe('pending');
    expect(await recordsOf(id)).toBeGreaterThan(0);
    // Invisible at once, although rows remain.
    expect((await t.api('/connections/purge-big?provider_config_key=openai')).status).toBe(404);
    // One day after the deletion: retention (31 days) is far off, the purge is not.
    const swept = await sweepDeletedConnections(database(), at(DAY), budget());
    expect(swept).toMatchObject({ connectionsHardDeleted: 1, endUsersDeleted: 1, deletedConnectionsBudgetExhausted: 0 });
    expect(await rowsOf('purge-big')).toBe(0);
    const [hardDelete] = await database().query<{ detail: { reason: string } }>("SELECT detail FROM audit_events WHERE action = 'connection.hard_delete' AND detail->>'connection_id' = 'purge-big'");
    expect(hardDelete.detail.reason).toBe('purge');
  });

  test('delete, re-import, purge: no row of that connection id is left, the earlier soft-deleted one included', async () => {
    await connection('purge-twice');
    await write('purge-twice', 20, T0);
    expect((await t.api('/connections/purge-twice?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
    await connection('purge-twice');
    await write('purge-twice', 20, T0);
    expect(await count("SELECT count(*) FROM connections WHERE connection_id = 'purge-twice'")).toBe(2);
    expect((await t.api('/connections/purge-twice?provider_config_key=openai&purge=true', { method: 'DELETE' })).status).toBe(200);
    expect(await rowsOf('purge-twice')).toBe(0);
  });

  test('the same with an interrupted purge: the sweep finishes both rows', async () => {
    await connection('purge-thrice');
    await write('purge-thrice', 120, T0);
    expect((await t.api('/connections/purge-thrice?provider_config_key=openai', { method: 'DELETE' })).status).toBe(200);
    await connection('purge-thrice');
    await write('purge-thrice', 120, T0);
    expect(await purgeConnection(database(), key('purge-thrice'), T0, budget({ maxBatches: 1 }), { ...base, environmentId: devId })).toBe('pending');
    expect(await sweepDeletedConnections(database(), at(DAY), budget())).toMatchObject({ connectionsHardDeleted: 2, deletedConnectionsBudgetExhausted: 0 });
    expect(await rowsOf('purge-thrice')).toBe(0);
  });
});

describe('sweeps run twice at once and resume', () => {
  test('prune: concurrent runs prune each record once; an interrupted run resumes', async () => {
    const id = await connection('prune-twin');
    await write('prune-twin', 700, at(DAY));
    const now = at(31 * DAY);
    const partial = await sweepPruneRecords(database(), now, budget({ maxBatches: 2 }));
    expect(partial).toEqual({ recordsPruned: 100, pruneBudgetExhausted: 1 });
    // Other tests' records may be due too: what matters is that each due row is counted once.
    const due = await count('SELECT count(*) FROM records WHERE pruned_at IS NULL AND updated_at <= :cutoff', { cutoff: at(DAY) });
    expect(due).toBeGreaterThanOrEqual(600);
    const [x, y] = await Promise.all([sweepPruneRecords(database(), now, budget()), sweepPruneRecords(database(), now, budget())]);
    expect(x.recordsPruned + y.recordsPruned).toBe(due);
    expect(await unpruned(id)).toBe(0);
  });

  test('prune skips records another session holds instead of waiting for them; the next run prunes them', async () => {
    const id = await connection('prune-held');
    await write('prune-held', 20, at(200 * DAY));
    const holder = await holdRecordLocks("connection_id = :id AND external_id IN ('r-0', 'r-1')", { id: uuid(id) });
    expect(holder.locked).toBe(2);
    const now = at(230 * DAY);
    const pruning = sweepPruneRecords(database(), now, budget());
    const blocked = await blockedOnLock(pruning);
    await holder.release();
    expect(blocked).toBe(false);
    expect((await pruning).pruneBudgetExhausted).toBe(0);
    expect(await unpruned(id)).toBe(2);
    expect((await sweepPruneRecords(database(), now, budget())).recordsPruned).toBe(2);
    expect(await unpruned(id)).toBe(0);
  });

  test('stale syncs: concurrent runs delete each record once', async () => {
    const id = await connection('stale-twin');
    await write('stale-twin', 500, T0, { sync: 'twin-sync', model: 'Twin' });
    const now = at(70 * DAY);
    const due = await count('SELECT count(*) FROM records r JOIN syncs s ON s.connection_id = r.connection_id AND s.name = r.sync_name WHERE s.last_executed_at <= :cutoff', {
      cutoff: at(10 * DAY),
    });
    expect(due).toBeGreaterThanOrEqual(500);
    const [x, y] = await Promise.all([sweepStaleSyncs(database(), now, budget()), sweepStaleSyncs(database(), now, budget())]);
    expect(x.staleSyncRecordsDeleted + y.staleSyncRecordsDeleted).toBe(due);
    expect(await recordsOf(id)).toBe(0);
  });
});

describe('orphans', () => {
  test('retires connections of a deleted integration, then deletes the integration once its retention has passed', async () => {
    const integrationId = await insertIntegration('dev', 'doomed-int', 'openai');
    const res = await t.api('/connections', { method: 'POST', json: { provider_config_key: 'doomed-int', connection_id: 'orphan-1', credentials: { type: 'API_KEY', apiKey: 'sk-secret-orphan-0123456789' } } });
    expect(res.status).toBe(201);
    // An integration deleted behind the API's back leaves a live connection.
    await database().execute('UPDATE integrations SET deleted_at = :when WHERE id = :id', { when: T0, id: uuid(integrationId) });
    expect(await sweepOrphans(database(), at(DAY), budget())).toEqual({ orphanConnectionsRetired: 1, integrationsHardDeleted: 0, orphansBudgetExhausted: 0 });
    expect((await sweepDeletedConnections(database(), at(31 * DAY), budget())).connectionsHardDeleted).toBeGreaterThanOrEqual(1);
    expect((await sweepOrphans(database(), new Date(at(31 * DAY).getTime() - 1), budget())).integrationsHardDeleted).toBe(0);
    expect((await sweepOrphans(database(), at(31 * DAY), budget())).integrationsHardDeleted).toBe(1);
    expect(await count('SELECT count(*) FROM integrations WHERE id = :id', { id: uuid(integrationId) })).toBe(0);
    // One audit event per run that changed something, with its counts.
    const runs = await database().query<{ detail: Record<string, number> }>("SELECT detail FROM audit_events WHERE action = 'retention.sweep' AND actor_id = 'orphans' ORDER BY occurred_at");
    expect(runs.map((r) => r.detail)).toEqual([
      { connections_retired: 1, integrations_deleted: 0 },
      { connections_retired: 0, integrations_deleted: 1 },
    ]);
  });

  test('a run the budget stops while retiring connections leaves the integration and says the budget ran out', async () => {
    const integrationId = await insertIntegration('dev', 'doomed-int-2', 'openai');
    for (const connectionId of ['orphan-2a', 'orphan-2b']) {
      const res = await t.api('/connections', { method: 'POST', json: { provider_config_key: 'doomed-int-2', connection_id: connectionId, credentials: { type: 'API_KEY', apiKey: `sk-secret-${connectionId}-0123456789` } } });
      expect(res.status).toBe(201);
    }
    await database().execute('UPDATE integrations SET deleted_at = :when WHERE id = :id', { when: T0, id: uuid(integrationId) });
    expect(await sweepOrphans(database(), at(DAY), budget({ batchSize: 1, maxBatches: 1 }))).toEqual({ orphanConnectionsRetired: 1, integrationsHardDeleted: 0, orphansBudgetExhausted: 1 });
    expect(await sweepOrphans(database(), at(DAY), budget())).toEqual({ orphanConnectionsRetired: 1, integrationsHardDeleted: 0, orphansBudgetExhausted: 0 });
  });
});

describe('deleteInBatches', () => {
  test('deletes the rows its selection picks, a batch per statement, until none are left or the budget is spent', async () => {
    await database().execute(
      "INSERT INTO websocket_clients (id, connection_id, expires_at) SELECT gen_random_uuid(), 'batch-' || n, now() FROM generate_series(1, 5) AS n",
    );
    await database().execute("INSERT INTO websocket_clients (id, connection_id, expires_at) VALUES (gen_random_uuid(), 'kept-1', now())");
    const picked = "SELECT id FROM websocket_clients WHERE connection_id LIKE :prefix || '%'";
    const left = () => count("SELECT count(*) FROM websocket_clients WHERE connection_id LIKE 'batch-%'");
    expect(await deleteInBatches(database(), 'websocket_clients', picked, { prefix: 'batch-' }, budget({ batchSize: 2, maxBatches: 2 }))).toBe(4);
    expect(await left()).toBe(1);
    expect(await deleteInBatches(database(), 'websocket_clients', picked, { prefix: 'batch-' }, budget({ batchSize: 2 }))).toBe(1);
    expect(await left()).toBe(0);
    expect(await count("SELECT count(*) FROM websocket_clients WHERE connection_id = 'kept-1'")).toBe(1);
  });
});

describe('schedules', () => {
  test('every sweep is deployed as a schedule and fires through the sweeps function with its metrics', async () => {
    for (const name of ['prune-records', 'stale-syncs', 'orphans', 'deleted-connections']) {
      const spec = SCHEDULES.find((s) => s.name === name);
      expect(spec?.function).toBe('sweeps');
      const result = (await t.stack.scheduler.fire(name, at(400 * DAY))) as Record<string, unknown>;
      expect(result).toMatchObject({ sweep: name, asOf: at(400 * DAY).toISOString() });
      expect(Object.keys(result).filter((k) => k !== 'sweep' && k !== 'asOf').sort()).toEqual([...(spec?.metrics ?? [])].sort());
    }
  });
});
