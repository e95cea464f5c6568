/**
 * Sweeps section of `npm run bench`: pruning and hard deletion of BENCH_RECORDS (default
 * 1,000,000) records of one connection through the Data API path (the sweep functions, batched
 * statements through the Data API stand-in, each statement timed), next to bare `pg` statements
 * doing the same to another connection's identical rows in the same run (an UPDATE for pruning, a
 * DELETE for deletion). Each sweep gets one Lambda-sized budget (15 minutes); if it ran out, the
 * next invocation's work is counted too.
 *
 *   BENCH_RECORDS (default 1000000)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { DataApi, type SqlExecutor } from '../lambdas/platform/db/data-api';
import type { Parameters } from '../lambdas/platform/db/parameters';
import type { SweepBudget } from '../lambdas/platform/db/batched-delete';
import { LocalStack } from '../local/stack';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const DAY = 86_400_000;
const T0 = new Date('2026-01-01T00:00:00Z');
/** One Lambda invocation at its 15-minute maximum, less the handler's safety margin. */
const INVOCATION_BUDGET_MS = 15 * 60_000 - 20_000;

/** Times every statement, to show the longest one against the Data API's 45 s limit. */
class TimedExecutor implements SqlExecutor {
  statements = 0;
  slowestMs = 0;
  constructor(private readonly db: DataApi) {}
  private async time<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.statements += 1;
      this.slowestMs = Math.max(this.slowestMs, performance.now() - started);
    }
  }
  query<R>(sql: string, params?: Parameters) {
    return this.time(() => this.db.query<R>(sql, params));
  }
  execute<R>(sql: string, params?: Parameters) {
    return this.time(() => this.db.execute<R>(sql, params));
  }
}

async function seed(pg: Client): Promise<{ ours: string; bare: string }> {
  const { rows } = await pg.query<{ id: string }>(
    `WITH env AS (SELECT id FROM environments WHERE name = 'dev'),
          integ AS (INSERT INTO integrations (environment_id, unique_key, provider) SELECT id, 'bench-sweeps', 'openai' FROM env RETURNING id, environment_id)
     INSERT INTO connections (environment_id, connection_id, integration_id, provider_config_key)
     SELECT integ.environment_id, c, integ.id, 'bench-sweeps' FROM integ, unnest(ARRAY['ours', 'bare']) AS c RETURNING id`,
  );
  const [ours, bare] = rows.map((r) => r.id);
  // ~200-byte payloads (the size of a small sealed record); the bare connection's rows are a day newer.
  for (const [id, updated] of [
    [ours, T0],
    [bare, new Date(T0.getTime() + DAY)],
  ] as const) {
    await pg.query(
      `INSERT INTO records (id, connection_id, model, external_id, sync_name, payload, payload_hash, first_seen_at, updated_at)
       SELECT gen_random_uuid(), $1, 'Contact', 'r-' || i, 'contacts', convert_to(repeat(md5(i::text), 6), 'UTF8'), decode(md5(i::text), 'hex'), $2, $2
         FROM generate_series(1, $3) AS i`,
      [id, updated, RECORDS],
    );
  }
  await pg.query('VACUUM ANALYZE records');
  return { ours, bare };
}

interface Line {
  operation: string;
  path: string;
  rows: number;
  seconds: number;
  statements?: number;
  slowestStatementMs?: number;
  invocations?: number;
}

async function ours<R extends Record<string, number>>(db: DataApi, run: (db: SqlExecutor, budget: SweepBudget) => Promise<R>, rowsOf: (r: R) => number, exhausted: (r: R) => boolean) {
  const timed = new TimedExecutor(db);
  const started = performance.now();
  let rows = 0;
  let invocations = 0;
  for (;;) {
    invocations += 1;
    const result = await run(timed, { batchSize: 500, deadline: Date.now() + INVOCATION_BUDGET_MS });
    rows += rowsOf(result);
    if (!exhausted(result)) break;
  }
  return { rows, seconds: (performance.now() - started) / 1000, statements: timed.statements, slowestStatementMs: Math.round(timed.slowestMs), invocations };
}

async function bare(pg: Client, sql: string, params: unknown[]) {
  const started = performance.now();
  const { rowCount } = await pg.query(sql, params);
  return { rows: rowCount ?? 0, seconds: (performance.now() - started) / 1000, statements: 1 };
}

export async function benchSweeps(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const pg = new Client({ connectionString: stack.postgres.url });
  await pg.connect();
  const lines: Line[] = [];
  try {
    // Imported here: they load the logger, which takes its level when first loaded.
    const { sweepPruneRecords } = await import('../lambdas/sweeps/prune-records');
    const { sweepDeletedConnections } = await import('../lambdas/sweeps/deleted-connections');
    const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
    const seedStarted = performance.now();
    const ids = await seed(pg);
    console.log(`seeded 2 × ${RECORDS.toLocaleString('en')} records in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    // Pruning: only the first connection's rows are due at T0 + 30.5 days.
    lines.push({ operation: 'prune payloads', path: 'sweep prune-records via Data API', ...(await ours(db, (d, b) => sweepPruneRecords(d, new Date(T0.getTime() + 30.5 * DAY), b), (r) => r.recordsPruned, (r) => r.pruneBudgetExhausted > 0)) });
    lines.push({ operation: 'prune payloads', path: 'bare pg UPDATE (one statement)', ...(await bare(pg, 'UPDATE records SET payload = NULL, pruned_at = now() WHERE connection_id = $1 AND pruned_at IS NULL', [ids.bare])) });
    await pg.query('VACUUM ANALYZE records');

    // Hard deletion: the first connection soft-deleted at T0, due at T0 + 31 days.
    await pg.query('UPDATE connections SET deleted_at = $2 WHERE id = $1', [ids.ours, T0]);
    lines.push({
      operation: 'hard-delete records',
      path: 'sweep deleted-connections via Data API',
      ...(await ours(db, (d, b) => sweepDeletedConnections(d, new Date(T0.getTime() + 40 * DAY), b), (r) => r.connectionRecordsDeleted, (r) => r.deletedConnectionsBudgetExhausted > 0)),
    });
    lines.push({ operation: 'hard-delete records', path: 'bare pg DELETE (one statement)', ...(await bare(pg, 'DELETE FROM records WHERE connection_id = $1', [ids.bare])) });
  } finally {
    await pg.end();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`\n${RECORDS.toLocaleString('en')} records per run, ${os.cpus().length} CPUs, Node ${process.version}; one invocation budget = ${INVOCATION_BUDGET_MS / 1000} s\n`);
  console.table(
    lines.map((l) => ({
      operation: l.operation,
      path: l.path,
      rows: l.rows,
      seconds: Number(l.seconds.toFixed(2)),
      'rows/s': Math.round(l.rows / l.seconds),
      statements: l.statements ?? '-',
      'slowest statement ms': l.slowestStatementMs ?? '-',
      invocations: l.invocations ?? '-',
    })),
  );
  for (let i = 0; i < lines.length; i += 2) {
    const [sweep, base] = [lines[i], lines[i + 1]];
    const ratio = sweep.rows / sweep.seconds / (base.rows / base.seconds);
    console.log(`${sweep.operation}: sweep = ${ratio.toFixed(2)}× the bare SQL rate${ratio >= 0.3 ? '' : '  (below the 0.3× target)'}`);
  }
}
