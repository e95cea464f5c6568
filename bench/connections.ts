/**
 * Connections section of `npm run bench`: the hot path, a warm `GET /connections/{id}` with
 * credentials, through the full local path (HTTP front → API Gateway event → handler → one Data
 * API statement → PostgreSQL, envelope decryption with a cached data key), next to a plain Node
 * HTTP server that SELECTs the same row with `pg` directly (no auth, no decryption), and the local
 * path's floor (`GET /health`) in the same run.
 *
 *   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 10)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../lambdas/platform/db/data-api';
import { LocalStack } from '../local/stack';
import { CONNECTIONS, load, perRequestCosts, printTable, type Row } from './http';

// The per-key rate limit (3000/min) would turn most of the load into 429s. The api module reads it
// when the first stack loads its handlers, so this is set when bench/run.ts imports the sections.
process.env.LATCHKEY_RATE_LIMIT_PER_MINUTE ??= '1000000000';

const PCK = 'bench-github';
const CONNECTION_ID = 'bench-connection';

const ROW_SQL = `SELECT c.*, i.provider FROM connections c JOIN integrations i ON i.id = c.integration_id AND i.deleted_at IS NULL
  WHERE c.environment_id = (SELECT id FROM environments WHERE name = 'dev') AND c.provider_config_key = $1 AND c.connection_id = $2 AND c.deleted_at IS NULL`;

async function bareBaseline(connectionString: string): Promise<{ url: string; close: () => Promise<void> }> {
  const pool = new Pool({ connectionString, max: CONNECTIONS });
  const server = http.createServer(async (_req, res) => {
    const { rows } = await pool.query(ROW_SQL, [PCK, CONNECTION_ID]);
    res.writeHead(rows.length ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(rows[0] ?? null));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/connection`, close: async () => { server.close(); await pool.end(); } };
}

/** A dev key, an integration and an imported OAUTH2 connection; idempotent on a reused database. */
async function seed(stack: LocalStack): Promise<string> {
  const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
  const key = randomUUID();
  // Imported here, not at the top: it loads the logger, which takes its level when first loaded.
  const { ensureSecretKey } = await import('../lambdas/keys/secret-keys');
  await ensureSecretKey(db, await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID), 'dev', key);
  await db.execute(
    `INSERT INTO integrations (environment_id, unique_key, provider) SELECT id, :pck, 'github' FROM environments WHERE name = 'dev'
     ON CONFLICT (environment_id, unique_key) WHERE deleted_at IS NULL DO NOTHING`,
    { pck: PCK },
  );
  const res = await fetch(`${stack.baseUrl}/connections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      provider_config_key: PCK,
      connection_id: CONNECTION_ID,
      metadata: { bench: true },
      credentials: { type: 'OAUTH2', access_token: 'bench-access-token', refresh_token: 'bench-refresh-token', expires_at: '2099-01-01T00:00:00Z' },
    }),
  });
  if (res.status !== 201) throw new Error(`Import failed: ${res.status} ${await res.text()}`);
  return key;
}

export async function benchConnections(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  // Handler logs would dominate the measurement (the logger reads this when first loaded).
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const rows: Row[] = [];
  let baseline: Awaited<ReturnType<typeof bareBaseline>> | undefined;
  try {
    const key = await seed(stack);
    baseline = await bareBaseline(stack.postgres.url);
    rows.push({ name: 'bare pg + node:http  SELECT the row', ...(await load(baseline.url)) });
    const url = `${stack.baseUrl}/connections/${CONNECTION_ID}?provider_config_key=${PCK}`;
    const headers = { authorization: `Bearer ${key}` };
    rows.push({ name: 'latchkey             GET /connections/{id}', ...(await perRequestCosts(stack, url, 50, headers)), ...(await load(url, headers)) });
    // The local path's own floor (no auth, one trivial statement), for reading the line above.
    const health = `${stack.baseUrl}/health`;
    rows.push({ name: 'latchkey             GET /health', ...(await perRequestCosts(stack, health)), ...(await load(health)) });
  } finally {
    await baseline?.close();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(rows);
  const [bare, full] = rows;
  console.log(`latchkey GET /connections/{id} throughput = ${((full.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)}% of the bare baseline`);
}
