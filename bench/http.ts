/**
 * HTTP section of `npm run bench`: what one request costs, against a bare baseline in the same run.
 *
 * For each endpoint it reports Data API statements and KMS calls per request (counted by the
 * stand-ins, i.e. real round trips) and requests/s through the full local path (HTTP front →
 * API Gateway event → handler → Data API → PostgreSQL), next to a plain Node HTTP server that
 * runs the same SQL with `pg` directly.
 *
 *   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 10)
 */
import autocannon from 'autocannon';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { LocalStack } from '../local/stack';


const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const HEALTH_SQL = 'SELECT (SELECT max(version) FROM schema_migrations) AS schema_version';

export interface Row {
  name: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  statements?: number;
  kmsCalls?: number;
  errors: number;
}

export async function load(url: string, headers: Record<string, string> = {}): Promise<Omit<Row, 'name'>> {
  // A short warm-up so JIT, pools and keep-alive sockets are in place before measuring.
  await autocannon({ url, headers, connections: CONNECTIONS, duration: 1 });
  const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: SECONDS });
  return {
    requestsPerSecond: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** Round trips per request, from the stand-ins' own counters over sequential requests. */
export async function perRequestCosts(stack: LocalStack, url: string, requests = 50, headers: Record<string, string> = {}): Promise<{ statements: number; kmsCalls: number }> {
  await fetch(url, { headers }).then((r) => r.arrayBuffer());
  stack.dataApi.control.resetStats();
  stack.kms.control.resetStats();
  for (let i = 0; i < requests; i += 1) await fetch(url, { headers }).then((r) => r.arrayBuffer());
  const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
  return { statements: sum(stack.dataApi.control.stats().calls) / requests, kmsCalls: sum(stack.kms.control.stats().calls) / requests };
}

async function bareBaseline(connectionString: string): Promise<{ url: string; close: () => Promise<void> }> {
  const pool = new Pool({ connectionString, max: CONNECTIONS });
  const server = http.createServer(async (_req, res) => {
    const { rows } = await pool.query(HEALTH_SQL);
    const body = JSON.stringify({ status: 'ok', database: { reachable: true, schemaVersion: rows[0].schema_version } });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/health`, close: async () => { server.close(); await pool.end(); } };
}

/** The section's table: one line per target. */
export function printTable(rows: Row[]): void {
  console.log(`\n${CONNECTIONS} connections, ${SECONDS} s per target, ${os.cpus().length} CPUs, Node ${process.version}\n`);
  console.table(
    rows.map((r) => ({
      target: r.name,
      'req/s': r.requestsPerSecond,
      'p50 ms': r.p50Ms,
      'p99 ms': r.p99Ms,
      'Data API statements/req': r.statements ?? '-',
      'KMS calls/req': r.kmsCalls ?? '-',
      errors: r.errors,
    })),
  );
}

export async function benchHttp(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  // Handler logs would dominate the measurement; the bench measures the path, not the console.
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const baseline = await bareBaseline(stack.postgres.url);
  const rows: Row[] = [];
  try {
    rows.push({ name: 'bare pg + node:http  GET /health', ...(await load(baseline.url)) });
    const healthUrl = `${stack.baseUrl}/health`;
    rows.push({ name: 'latchkey             GET /health', ...(await perRequestCosts(stack, healthUrl)), ...(await load(healthUrl)) });
  } finally {
    await baseline.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(rows);
  const [bare, full] = rows;
  console.log(`latchkey /health throughput = ${((full.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)}% of the bare baseline`);
}
