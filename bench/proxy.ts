/**
 * Proxy section of `npm run bench`: a warm proxied `GET /proxy/items` (HTTP front → API Gateway
 * event → proxy handler → the connection's read → the pinned, checked client → a loopback
 * upstream → the audit write), next to a direct call to the same upstream in the same run, with
 * the Data API statements and KMS calls of one proxied call.
 *
 *   BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 10)
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../lambdas/platform/db/data-api';
import { LocalStack } from '../local/stack';
import { startUpstream, type Upstream } from '../test/support/upstream';
import { load, perRequestCosts, printTable, type Row } from './http';

// The per-key rate limit (3000/min) would turn most of the load into 429s (read when the handlers load).
process.env.LATCHKEY_RATE_LIMIT_PER_MINUTE ??= '1000000000';

const PCK = 'bench-proxy';
const CONNECTION_ID = 'bench-proxy-connection';

/** A dev key, a loopback API-key provider, its integration and a connection. */
async function seed(stack: LocalStack, upstream: Upstream): Promise<string> {
  const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
  const key = randomUUID();
  // Imported here, not at the top: it loads the logger, which takes its level when first loaded.
  const { ensureSecretKey } = await import('../lambdas/keys/secret-keys');
  await ensureSecretKey(db, await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID), 'dev', key);
  const call = async (p: string, method: string, body: unknown) => {
    const res = await fetch(`${stack.baseUrl}${p}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  };
  await call(`/providers/${PCK}`, 'PUT', { display_name: 'Bench upstream', auth_mode: 'API_KEY', allow_private_network: true, proxy: { base_url: upstream.url, headers: { 'x-api-key': '${apiKey}' } } });
  await call('/integrations', 'POST', { provider: PCK, unique_key: PCK });
  await call('/connections', 'POST', { provider_config_key: PCK, connection_id: CONNECTION_ID, credentials: { type: 'API_KEY', apiKey: 'bench-api-key-0123456789' } });
  return key;
}

export async function benchProxy(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  // Handler logs would dominate the measurement (the logger reads this when first loaded).
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const [stack, upstream] = await Promise.all([LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL }), startUpstream()]);
  const body = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `item ${i}` })) });
  upstream.answer = () => ({ headers: { 'content-type': 'application/json' }, body });
  const rows: Row[] = [];
  try {
    const key = await seed(stack, upstream);
    rows.push({ name: 'direct                GET upstream /items', ...(await load(`${upstream.url}/items`)) });
    const url = `${stack.baseUrl}/proxy/items`;
    const headers = { authorization: `Bearer ${key}`, 'connection-id': CONNECTION_ID, 'provider-config-key': PCK };
    rows.push({ name: 'latchkey              GET /proxy/items', ...(await perRequestCosts(stack, url, 50, headers)), ...(await load(url, headers)) });
    // The local path's own floor (no auth, one trivial statement), for reading the line above.
    const health = `${stack.baseUrl}/health`;
    rows.push({ name: 'latchkey              GET /health', ...(await perRequestCosts(stack, health)), ...(await load(health)) });
  } finally {
    await upstream.stop();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  printTable(rows);
  const [direct, proxied] = rows;
  console.log(`proxied p50 +${(proxied.p50Ms - direct.p50Ms).toFixed(1)} ms over direct; throughput ${((proxied.requestsPerSecond / direct.requestsPerSecond) * 100).toFixed(1)}% of direct`);
  console.log('Statements per proxied call: the connection read, and the audit row written once the upstream answered (its status and latency).');
}
