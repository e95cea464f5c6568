/**
 * Lists section of `npm run bench`: the SDK's listConnections() (no limit: Nango's 10,000 default,
 * and filtered by search, endUserId and tags), a deep keyset page and a single
 * `GET /connections/{id}`, in one environment holding 1,000 connections, then 100,000, then 1,000
 * again (the extra rows deleted and the tables rewritten): the small size is measured on both
 * sides of the large one, so a machine whose speed drifts during the run shows as a gap between
 * the two. Each list statement is also run under EXPLAIN ANALYZE for its time inside PostgreSQL,
 * without the HTTP and Lambda stand-ins around it. Rows are bulk-inserted with SQL (an end user
 * each, 100 B–1 KB of metadata, tags), then vacuumed, as autovacuum would after such a load. Their
 * credentials are NULL: an envelope is bound to its row id, so one shared sealed blob would not
 * open; the single read is of a connection imported through the API, with real credentials.
 *
 *   BENCH_LIST_CONNECTIONS (default 100000), BENCH_LIST_RUNS (default 15)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Nango } from '@nangohq/node';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { listConnections, type ListFilter, type ListPosition } from '../lambdas/connections/connection-store';
import { DataApi, type ExecuteResult, type SqlExecutor } from '../lambdas/platform/db/data-api';
import type { Parameters } from '../lambdas/platform/db/parameters';
import { LocalStack } from '../local/stack';

process.env.LATCHKEY_RATE_LIMIT_PER_MINUTE ??= '1000000000';

const PCK = 'bench-lists';
const LARGE = Number(process.env.BENCH_LIST_CONNECTIONS ?? 100_000);
const SMALL = 1_000;
const RUNS = Number(process.env.BENCH_LIST_RUNS ?? 15);
const BATCH = 5_000;
const WARM_RUNS = 5;

interface Measure {
  /** Each run's time end to end: the SDK or fetch, through the local stack. */
  times: number[];
  /** Each run's execution time inside PostgreSQL of the call's list statement, if it has one. */
  dbTimes: number[];
  statements: number;
  rows: number;
}

/** Adds connections `from`..`to` (1-based), each with its end user, in batches of one statement each. */
async function insertConnections(db: DataApi, from: number, to: number): Promise<void> {
  for (let start = from; start <= to; start += BATCH) {
    const end = Math.min(to, start + BATCH - 1);
    await db.execute(
      `WITH env AS (SELECT id FROM environments WHERE name = 'dev'),
       integration AS (SELECT i.id FROM integrations i, env WHERE i.environment_id = env.id AND i.unique_key = :pck AND i.deleted_at IS NULL),
       users AS (
         INSERT INTO end_users (environment_id, end_user_id, email, display_name, organization_id)
         SELECT env.id, 'user-' || n, 'user' || n || '@customer' || (n % 997) || '.example.com', 'Customer User ' || n, 'org-' || (n % 2000)
           FROM env, generate_series(CAST(:start AS int), CAST(:end AS int)) n
         RETURNING id, end_user_id
       )
       INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key, end_user_id, metadata, tags)
       SELECT env.id, 'conn-' || lpad(substr(u.end_user_id, 6), 7, '0'), integration.id, :pck, u.id,
              jsonb_build_object('account_id', 'acct_' || substr(u.end_user_id, 6), 'plan', (ARRAY['free', 'pro', 'enterprise'])[1 + substr(u.end_user_id, 6)::int % 3],
                                 'notes', repeat(md5(u.end_user_id), 2 + substr(u.end_user_id, 6)::int % 28)),
              jsonb_build_object('tier', 't' || (substr(u.end_user_id, 6)::int % 100), 'region', 'eu')
         FROM env, integration, users u ORDER BY substr(u.end_user_id, 6)::int`,
      { pck: PCK, start, end },
    );
  }
  for (const table of ['connections', 'connection_tags', 'end_users']) await db.execute(`VACUUM ANALYZE ${table}`);
}

/** Runs each statement under EXPLAIN ANALYZE and keeps PostgreSQL's execution time; returns no rows. */
class StatementTimer implements SqlExecutor {
  ms = 0;
  constructor(private readonly db: DataApi) {}

  async query<R>(sql: string, params?: Parameters): Promise<R[]> {
    const plan = await this.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE) ${sql}`, params);
    const line = plan.map((r) => r['QUERY PLAN']).find((l) => l.startsWith('Execution Time:'));
    this.ms = Number(/([\d.]+) ms/.exec(line ?? '')?.[1] ?? NaN);
    return [];
  }

  async execute<R>(sql: string, params?: Parameters): Promise<ExecuteResult<R>> {
    await this.query(sql, params);
    return { records: [], rowsAffected: 0 } as unknown as ExecuteResult<R>;
  }
}

interface Case {
  call: () => Promise<number>;
  /** The list statement behind the call, to time inside PostgreSQL. */
  statement?: { filter: ListFilter; position: ListPosition };
}

async function measure(stack: LocalStack, timer: StatementTimer, environmentId: string, { call, statement }: Case): Promise<Measure> {
  for (let i = 0; i < WARM_RUNS; i++) await call(); // key cache, plans, JIT: not measured
  const result: Measure = { times: [], dbTimes: [], statements: 0, rows: 0 };
  for (let i = 0; i < RUNS; i++) {
    stack.dataApi.control.resetStats();
    const started = performance.now();
    result.rows = await call();
    result.times.push(performance.now() - started);
    result.statements = Object.values(stack.dataApi.control.stats().calls).reduce((a, b) => a + (b ?? 0), 0);
    if (statement) {
      await listConnections(timer, environmentId, statement.filter, statement.position);
      result.dbTimes.push(timer.ms);
    }
  }
  return result;
}

async function measureAll(stack: LocalStack, nango: Nango, key: string, environmentId: string, size: number): Promise<Record<string, Measure>> {
  const target = Math.ceil(size * 0.9);
  const api = async (p: string) => {
    const res = await fetch(`${stack.baseUrl}${p}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ connections: unknown[]; next_cursor: string | null }>;
  };
  // A deep page: the cursor of the connection 90% of the way in.
  const deepSeq = await seqOf(`conn-${String(target).padStart(7, '0')}`);
  const deepCursor = Buffer.from(`s1:${deepSeq}`).toString('base64url');
  const timer = new StatementTimer(seqDb as DataApi);
  const cases: Record<string, Case> = {
    'listConnections() (no limit)': { call: async () => (await nango.listConnections()).connections.length },
    'listConnections() search': {
      call: async () => (await nango.listConnections(undefined, `user${target}@`)).connections.length,
      statement: { filter: { search: `user${target}@` }, position: { rows: 10_000 } },
    },
    'listConnections() endUserId': {
      call: async () => (await nango.listConnections({ userId: `user-${target}` })).connections.length,
      statement: { filter: { endUserId: `user-${target}` }, position: { rows: 10_000 } },
    },
    'listConnections() tags': {
      call: async () => (await nango.listConnections({ tags: { tier: 't7' }, limit: 10 })).connections.length,
      statement: { filter: { tags: { tier: 't7' } }, position: { rows: 10 } },
    },
    'deep keyset page (limit 100)': {
      call: async () => (await api(`/connections?limit=100&cursor=${deepCursor}`)).connections.length,
      statement: { filter: {}, position: { afterSeq: deepSeq, rows: 100 } },
    },
    'GET /connections/{id}': { call: async () => ((await nango.getConnection(PCK, 'bench-imported')) ? 1 : 0) },
  };
  const measures: Record<string, Measure> = {};
  for (const [name, c] of Object.entries(cases)) measures[name] = await measure(stack, timer, environmentId, c);
  return measures;
}

/** Connections past `keep` (and their end users) deleted, the tables rewritten as if they had never held them. */
async function shrink(db: DataApi, keep: number): Promise<void> {
  await db.execute(`DELETE FROM connections WHERE provider_config_key = :pck AND connection_id LIKE 'conn-%' AND substr(connection_id, 6)::int > :keep`, { pck: PCK, keep });
  await db.execute(`DELETE FROM end_users WHERE end_user_id LIKE 'user-%' AND substr(end_user_id, 6)::int > :keep`, { keep });
  for (const table of ['connections', 'connection_tags', 'end_users']) await db.execute(`VACUUM FULL ANALYZE ${table}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

let seqDb: DataApi | undefined;
async function seqOf(connectionId: string): Promise<number> {
  const [row] = await (seqDb as DataApi).query<{ seq: number }>('SELECT seq FROM connections WHERE connection_id = :id', { id: connectionId });
  return row.seq;
}

export async function benchLists(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  try {
    const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
    seqDb = db;
    const key = randomUUID();
    const { ensureSecretKey } = await import('../lambdas/keys/secret-keys');
    await ensureSecretKey(db, await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID), 'dev', key);
    await db.execute(`INSERT INTO integrations (environment_id, unique_key, provider) SELECT id, :pck, 'openai' FROM environments WHERE name = 'dev'`, { pck: PCK });
    const nango = new Nango({ secretKey: key, host: stack.baseUrl });
    const imported = await fetch(`${stack.baseUrl}/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ provider_config_key: PCK, connection_id: 'bench-imported', metadata: { bench: true }, credentials: { type: 'API_KEY', apiKey: 'sk-bench-000000000000' } }),
    });
    if (imported.status !== 201) throw new Error(`Import failed: ${imported.status} ${await imported.text()}`);
    const [{ id: environmentId }] = await db.query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
    let started = performance.now();
    await insertConnections(db, 1, SMALL);
    console.log(`inserted ${SMALL} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const before = await measureAll(stack, nango, key, environmentId, SMALL);
    started = performance.now();
    await insertConnections(db, SMALL + 1, LARGE);
    console.log(`inserted ${LARGE - SMALL} more connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const large = await measureAll(stack, nango, key, environmentId, LARGE);
    started = performance.now();
    await shrink(db, SMALL);
    console.log(`deleted back to ${SMALL} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const after = await measureAll(stack, nango, key, environmentId, SMALL);
    report(before, large, after);
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const ms = (values: number[]) => (values.length ? median(values).toFixed(1) : '—');
const ratio = (a: number[], b: number[]) => (a.length && b.length ? (median(b) / median(a)).toFixed(2) : '—');

/** Medians of every run: the small size's over both of its rounds; `drift` compares its two rounds. */
function report(before: Record<string, Measure>, large: Record<string, Measure>, after: Record<string, Measure>): void {
  const head = ['call', `${SMALL}: ms`, 'stmts', 'rows', `${LARGE}: ms`, 'stmts', 'rows', 'ratio', 'drift', `db ms ${SMALL}`, LARGE, 'db ratio'];
  const widths = [30, 10, 6, 6, 12, 6, 6, 6, 6, 12, 8, 9];
  const line = (cells: (string | number)[]) => console.log(cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' '));
  console.log(`\nmedians of ${RUNS} runs per round; ${SMALL} measured before and after ${LARGE}`);
  line(head);
  for (const name of Object.keys(large)) {
    const [a, b, c] = [before[name], large[name], after[name]];
    const small = [...a.times, ...c.times];
    const smallDb = [...a.dbTimes, ...c.dbTimes];
    line([name, ms(small), a.statements, a.rows, ms(b.times), b.statements, b.rows, ratio(small, b.times), ratio(a.times, c.times), ms(smallDb), ms(b.dbTimes), ratio(smallDb, b.dbTimes)]);
  }
}
