/**
 * Refresh section of `npm run bench`: the stampede. `BENCH_REFRESH_CALLERS` (default 200)
 * concurrent `GET /connections/{id}` of one connection whose token has expired, spread over 4 api
 * instances in separate processes (as 4 Lambda containers), against oidc-provider (rotating
 * refresh tokens), for `BENCH_REFRESH_ROUNDS` (default 3) fresh connections. Reports the token
 * requests the provider received per stampede and the latency of the waiting callers, next to
 * the bare provider round trip (one refresh_token grant straight to oidc-provider) and a warm read
 * of the same connection once fresh (no refresh).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../lambdas/platform/db/data-api';
import { LocalStack } from '../local/stack';
import { startApiInstances } from '../test/support/api-instances';
import { startOAuthServer } from '../test/support/oauth-server';
import { quantile, stampede } from '../test/support/refresh-stampede';
import { importOAuth2, initialTokens, oauthIntegration, PAST } from '../test/lambdas/connections/refresh/refresh-fixtures';

const CALLERS = Number(process.env.BENCH_REFRESH_CALLERS ?? 200);
const ROUNDS = Number(process.env.BENCH_REFRESH_ROUNDS ?? 3);
const INSTANCES = 4;
const PCK = 'bench-refresh';

export async function benchRefresh(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const server = await startOAuthServer({ accessTokenTtl: 300 });
  const instances = await startApiInstances(INSTANCES, stack.env);
  try {
    const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
    const key = randomUUID();
    const { ensureSecretKey } = await import('../lambdas/keys/secret-keys');
    await ensureSecretKey(db, await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID), 'dev', key);
    const api = { api: (p: string, init: RequestInit & { json?: unknown } = {}) => fetch(`${stack.baseUrl}${p}`, { ...init, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: init.json === undefined ? undefined : JSON.stringify(init.json) }) };
    await oauthIntegration(api, PCK, server.tokenUrl, server.clients.post);
    const urls = instances.instances.map((i) => i.url);

    // Baseline: the provider alone, one refresh_token grant at a time (rotating).
    let { refresh_token: rt } = await initialTokens(server, server.clients.post);
    const bare: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const started = performance.now();
      const res = await fetch(server.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: server.clients.post.client_id, client_secret: server.clients.post.client_secret }),
      });
      rt = ((await res.json()) as { refresh_token: string }).refresh_token;
      bare.push(performance.now() - started);
    }

    const rows: Record<string, string | number>[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const connectionId = `stampede-${round}`;
      await importOAuth2(api, PCK, connectionId, { ...(await initialTokens(server, server.clients.post)), expires_at: PAST });
      const before = (await server.control()).tokenRequests;
      const calls = await stampede({ urls, key, providerConfigKey: PCK, connectionId, callers: CALLERS });
      const requests = (await server.control()).tokenRequests - before;
      const ms = calls.map((c) => c.ms);
      const ok = calls.filter((c) => c.status === 200).length;
      const distinct = new Set(calls.map((c) => c.accessToken)).size;
      rows.push({ target: `stampede ${round + 1}: ${CALLERS} callers / ${INSTANCES} processes`, 'provider token requests': requests, '200s': ok, 'distinct tokens': distinct, 'p50 ms': quantile(ms, 0.5).toFixed(1), 'p99 ms': quantile(ms, 0.99).toFixed(1), 'max ms': Math.max(...ms).toFixed(1) });
      // The same connection, fresh now: what a read costs without a refresh, under the same load.
      const warm = await stampede({ urls, key, providerConfigKey: PCK, connectionId, callers: CALLERS });
      const warmRequests = (await server.control()).tokenRequests - before - requests;
      const wms = warm.map((c) => c.ms);
      rows.push({ target: `  same ${CALLERS} reads once fresh (no refresh)`, 'provider token requests': warmRequests, '200s': warm.filter((c) => c.status === 200).length, 'distinct tokens': new Set(warm.map((c) => c.accessToken)).size, 'p50 ms': quantile(wms, 0.5).toFixed(1), 'p99 ms': quantile(wms, 0.99).toFixed(1), 'max ms': Math.max(...wms).toFixed(1) });
    }
    rows.push({ target: 'bare: one refresh_token grant to oidc-provider', 'provider token requests': 1, '200s': '-', 'distinct tokens': '-', 'p50 ms': quantile(bare, 0.5).toFixed(1), 'p99 ms': quantile(bare, 0.99).toFixed(1), 'max ms': Math.max(...bare).toFixed(1) });
    console.log(`\n${os.cpus().length} CPUs, Node ${process.version}; latencies are each caller's whole request (HTTP → handler → Data API → provider)\n`);
    console.table(rows);
  } finally {
    await instances.stop();
    await server.stop();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
