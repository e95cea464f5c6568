/**
 * Lists section of `npm run bench`: the SDK's listConnections() (no limit: Nango's 10,000 default,
 * and filtered by search, endUserId and tags), a deep keyset page and a single
 * `GET /connections/{id}`, in one environment holding 1,000 connections and then 100,000, in the
 * same run. Rows are bulk-inserted with SQL (an end user each, 100 B–1 KB of metadata, tags).
 * Their credentials are NULL: an envelope is bound to its row id, so one shared sealed blob would
 * not open; the single read is of a connection imported through the API, with real credentials.
 *
 *   BENCH_LIST_CONNECTIONS (default 100000), BENCH_LIST_RUNS (default 5)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Nango } from '@nangohq/node';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../lambdas/platform/db/data-api';
import { LocalStack } from '../local/stack';

process.env.LATCHKEY_RATE_LIMIT_PER_MINUTE ??= '1000000000';

const PCK = 'bench-lists';
const LARGE = Number(process.env.BENCH_LIST_CONNECTIONS ?? 100_000);
const SMALL = 1_000;
const RUNS = Number(process.env.BENCH_LIST_RUNS ?? 5);
const BATCH = 5_000;

interface Measure {
  ms: number;
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
  await db.execute('ANALYZE connections');
  await db.execute('ANALYZE end_users');
}

async function measure(stack: LocalStack, call: () => Promise<number>): Promise<Measure> {
  await call(); // warm: key cache, plans
  const times: number[] = [];
  let statements = 0;
  let rows = 0;
  for (let i = 0; i < RUNS; i++) {
    stack.dataApi.control.resetStats();
    const started = performance.now();
    rows = await call();
    times.push(performance.now() - started);
    statements = Object.values(stack.dataApi.control.stats().calls).reduce((a, b) => a + (b ?? 0), 0);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], statements, rows };
}

async function measureAll(stack: LocalStack, nango: Nango, key: string, size: number): Promise<Record<string, Measure>> {
  const target = Math.ceil(size * 0.9);
  const api = async (p: string) => {
    const res = await fetch(`${stack.baseUrl}${p}`, { headers: { authorization: `Bearer ${key}` } });
    if (res.status !== 200) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ connections: unknown[]; next_cursor: string | null }>;
  };
  // A deep page: the cursor of the connection 90% of the way in.
  const deepCursor = Buffer.from(`s1:${await seqOf(`conn-${String(target).padStart(7, '0')}`)}`).toString('base64url');
  return {
    'listConnections() (no limit)': await measure(stack, async () => (await nango.listConnections()).connections.length),
    'listConnections() search': await measure(stack, async () => (await nango.listConnections(undefined, `user${target}@`)).connections.length),
    'listConnections() endUserId': await measure(stack, async () => (await nango.listConnections({ userId: `user-${target}` })).connections.length),
    'listConnections() tags': await measure(stack, async () => (await nango.listConnections({ tags: { tier: 't7' }, limit: 10 })).connections.length),
    'deep keyset page (limit 100)': await measure(stack, async () => (await api(`/connections?limit=100&cursor=${deepCursor}`)).connections.length),
    'GET /connections/{id}': await measure(stack, async () => ((await nango.getConnection(PCK, 'bench-imported')) ? 1 : 0)),
  };
}

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
    let started = performance.now();
    await insertConnections(db, 1, SMALL);
    console.log(`inserted ${SMALL} connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const small = await measureAll(stack, nango, key, SMALL);
    started = performance.now();
    await insertConnections(db, SMALL + 1, LARGE);
    console.log(`inserted ${LARGE - SMALL} more connections in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const large = await measureAll(stack, nango, key, LARGE);
    console.log(`\n${'call'.padEnd(32)} ${`${SMALL}: ms`.padStart(10)} ${'stmts'.padStart(6)} ${'rows'.padStart(6)} ${`${LARGE}: ms`.padStart(12)} ${'stmts'.padStart(6)} ${'rows'.padStart(6)} ${'ratio'.padStart(6)}`);
    for (const name of Object.keys(small)) {
      const [a, b] = [small[name], large[name]];
      console.log(
        `${name.padEnd(32)} ${a.ms.toFixed(1).padStart(10)} ${String(a.statements).padStart(6)} ${String(a.rows).padStart(6)} ${b.ms.toFixed(1).padStart(12)} ${String(b.statements).padStart(6)} ${String(b.rows).padStart(6)} ${(b.ms / a.ms).toFixed(2).padStart(6)}`,
      );
    }
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
