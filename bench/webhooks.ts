/**
 * Webhooks section of `npm run bench`: deliveries per second from the outbox to a local HTTP
 * receiver, through the real webhooks handler (claim → decrypt the signing key → sign → POST →
 * record), on both paths — the scheduled re-drive draining a backlog, and the bus path (PutEvents
 * → the event rule → one invocation per event) — next to a bare signed-POST loop to the same
 * receiver with the same concurrency.
 *
 *   BENCH_WEBHOOKS (default 2000): events in the backlog; a quarter of that on the bus path.
 */
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataApi } from '../lambdas/platform/db/data-api';
import type { LocalStack } from '../local/stack';

const EVENTS = Number(process.env.BENCH_WEBHOOKS ?? 2000);
const CONCURRENCY = 16;

interface Result {
  path: string;
  deliveries: number;
  seconds: number;
  statements?: number;
  kmsCalls?: number;
}

function receiver(): Promise<{ url: string; count: () => number; close: () => Promise<void> }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
        count: () => received,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );
}

/** The floor: signed POSTs of the same body, CONCURRENCY at a time, fresh socket each (as the deliverer). */
async function bareLoop(url: string, n: number): Promise<Result> {
  const body = JSON.stringify({ from: 'nango', type: 'auth', connectionId: 'bench', success: true });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'x-nango-hmac-sha256': createHmac('sha256', 'k').update(body).digest('hex') } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end(body);
    });
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next++ < n) await post();
  }));
  return { path: 'bare node:http signed POST loop', deliveries: n, seconds: (performance.now() - started) / 1000 };
}

async function insertBacklog(db: DataApi, environmentId: string, n: number, ageMinutes: number): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO outbox (environment_id, event_type, payload, created_at)
     SELECT :env::uuid, 'auth', jsonb_build_object('from', 'nango', 'type', 'auth', 'connectionId', 'bench-' || g, 'providerConfigKey', 'github',
              'provider', 'github', 'authMode', 'OAUTH2', 'environment', 'dev', 'operation', 'creation', 'success', true, 'tags', '{}'::jsonb),
            now() - :age * interval '1 minute'
       FROM generate_series(1, :n) g RETURNING id`,
    { env: environmentId, n, age: ageMinutes },
  );
  return rows.map((r) => r.id);
}

export async function benchWebhooks(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  // Handler logs and metric lines would dominate the measurement (both read when first loaded).
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { LocalStack } = await import('../local/stack');
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const sink = await receiver();
  const results: Result[] = [];
  try {
    const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
    // Imported late: they load the logger, which takes its level when first loaded.
    const { rotateWebhookSigningKey } = await import('../lambdas/environments/environment-store');
    const { platformHandles } = await import('../lambdas/platform/handles');
    const { publishOutboxEvents } = await import('../lambdas/platform/events/publisher');
    const [env] = await db.query<{ id: string }>("SELECT id FROM environments WHERE name = 'dev'");
    await db.execute('UPDATE environments SET webhook_url = :url WHERE id = :id::uuid', { url: sink.url, id: env.id });
    await rotateWebhookSigningKey(db, platformHandles().cipher, env.id, { environmentId: env.id, actor: { type: 'system', id: 'bench' }, request: { requestId: null, sourceIp: null, userAgent: null }, outcome: 'success' });

    results.push(await bareLoop(sink.url, EVENTS));

    // Re-drive: a backlog whose publish "failed", drained by scheduled runs.
    await insertBacklog(db, env.id, EVENTS, 5);
    stack.dataApi.control.resetStats();
    stack.kms.control.resetStats();
    let before = sink.count();
    let started = performance.now();
    while (sink.count() - before < EVENTS) {
      await stack.scheduler.fire('webhooks-redrive', new Date());
      const [{ n }] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'published')");
      if (n === 0 && sink.count() - before >= EVENTS) break;
    }
    results.push({ path: 'latchkey re-drive (backlog, batches of 100)', deliveries: sink.count() - before, seconds: (performance.now() - started) / 1000, ...costs(stack) });

    // Bus path: rows written as a request would, published 10 per PutEvents, one invocation per event.
    const busEvents = Math.max(10, Math.floor(EVENTS / 4));
    const ids = await insertBacklog(db, env.id, busEvents, 0);
    stack.dataApi.control.resetStats();
    stack.kms.control.resetStats();
    before = sink.count();
    started = performance.now();
    await publishOutboxEvents(ids.map((id) => ({ id, environmentId: env.id, type: 'auth' as const, payload: {} })));
    await stack.eventBridge.idle();
    results.push({ path: 'latchkey bus path (PutEvents → rule → handler)', deliveries: sink.count() - before, seconds: (performance.now() - started) / 1000, ...costs(stack) });
  } finally {
    await sink.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(`\n${EVENTS} events, ${CONCURRENCY} requests in flight, ${os.cpus().length} CPUs, Node ${process.version}\n`);
  console.table(
    results.map((r) => ({
      path: r.path,
      deliveries: r.deliveries,
      seconds: Number(r.seconds.toFixed(2)),
      'deliveries/s': Math.round(r.deliveries / r.seconds),
      'Data API statements/delivery': r.statements === undefined ? '-' : Number((r.statements / r.deliveries).toFixed(3)),
      'KMS calls': r.kmsCalls ?? '-',
    })),
  );
  const [bare, redrive] = results;
  console.log(`webhooks re-drive throughput = ${((redrive.deliveries / redrive.seconds / (bare.deliveries / bare.seconds)) * 100).toFixed(1)}% of the bare POST loop`);
}

function costs(stack: LocalStack): Pick<Result, 'statements' | 'kmsCalls'> {
  const calls = stack.dataApi.control.stats().calls;
  return { statements: calls.ExecuteStatement ?? 0, kmsCalls: Object.values(stack.kms.control.stats().calls).reduce((a, b) => a + b, 0) };
}
