import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { createKmsClient } from '../../lambdas/platform/crypto/kms';
import { SecretHasher } from '../../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../../lambdas/platform/db/data-api';
import { ensureSecretKey } from '../../lambdas/keys/secret-keys';
import { LocalStack, type LocalStackOptions } from '../../local/stack';
import { dropDatabase } from '../../local/postgres';
import { testAdminUrl } from './databases';
import { DeclaredResponseCheck } from './declared-responses';
import { SecretScan } from './secret-scan';

export interface TestStack {
  stack: LocalStack;
  baseUrl: string;
  /** An active secret key of the `dev` environment, and one of `prod`. */
  devKey: string;
  prodKey: string;
  /** `fetch` against the stack with a secret key (the dev key unless another is given). */
  api(path: string, init?: RequestInit & { key?: string | null; json?: unknown }): Promise<Response>;
  /** Secrets the tests create: the stack fails the file if any shows up in a log line or audit event. */
  secrets: SecretScan;
  /** Every answer of the functions, checked against its route's declared responses; `stop()` fails on a mismatch. */
  responses: DeclaredResponseCheck;
  /** The functions' log lines so far (JSON), for tests that check what gets logged. */
  logLines(): string[];
  stop(): Promise<void>;
}

/**
 * The whole local stack for one test file, on the run's PostgreSQL server with a database of its
 * own, stand-ins on ephemeral ports, handler logs quiet unless LATCHKEY_TEST_LOGS is set.
 */
export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  // Logs stay on (captured, not printed) so the secret scan can read them.
  process.env.POWERTOOLS_LOG_LEVEL = process.env.LATCHKEY_TEST_LOGS ? 'DEBUG' : 'INFO';
  const secrets = new SecretScan();
  secrets.captureStdout();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-stack-'));
  const database = `t_${randomBytes(6).toString('hex')}`;
  // Two instances per function show scale-out; each more is a cold start the machine pays for.
  const responses = new DeclaredResponseCheck();
  const stack = await LocalStack.start({ dataDir, databaseUrl: testAdminUrl(), database, maxInstances: 2, onFunctionResponse: responses.observe, ...options });
  const [devKey, prodKey] = [randomUUID(), randomUUID()];
  // Its own handles, so the functions' lazily created ones still read the environment a test sets.
  const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database });
  const hasher = await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID);
  await ensureSecretKey(db, hasher, 'dev', devKey);
  await ensureSecretKey(db, hasher, 'prod', prodKey);
  secrets.register(devKey, prodKey);
  return {
    stack,
    baseUrl: stack.baseUrl,
    devKey,
    prodKey,
    api: (path, init = {}) => {
      const { key = devKey, json, headers, ...rest } = init;
      const allHeaders = new Headers(headers);
      if (key !== null) allHeaders.set('authorization', `Bearer ${key}`);
      if (json !== undefined) allHeaders.set('content-type', 'application/json');
      return fetch(`${stack.baseUrl}${path}`, { ...rest, headers: allHeaders, body: json === undefined ? rest.body : JSON.stringify(json) });
    },
    secrets,
    responses,
    logLines: () => secrets.lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{')),
    stop: async () => {
      const audit = [
        // Reads: safe to retry if a pooled socket is reset after a long test.
        ...(await db.query<{ id: string; text: string }>('SELECT id, row_to_json(a)::text AS text FROM audit_events a', {}, { idempotent: true })),
        // Webhook bodies go to the customer's receivers: no credential may ride along.
        ...(await db.query<{ id: string; text: string }>("SELECT 'outbox ' || id AS id, row_to_json(o)::text AS text FROM outbox o", {}, { idempotent: true })),
      ];
      secrets.stopCapture();
      const leaks = secrets.findLeaks(audit);
      await stack.stop();
      // Mutation runs start a stack per mutant on one server that is thrown away at the end: no DROP
      // DATABASE there (its checkpoint, behind a runner Stryker killed, stalled every later run).
      if (!process.env.LATCHKEY_KEEP_TEST_DATABASES) await dropDatabase(testAdminUrl(), database);
      fs.rmSync(dataDir, { recursive: true, force: true });
      if (leaks.length) throw new Error(`Secrets leaked into logs or audit events:\n${leaks.join('\n')}`);
      if (responses.problems.length) throw new Error(`Responses that differ from their route's declared responses (lambdas/http/openapi.ts declaredResponses):\n${[...new Set(responses.problems)].join('\n')}`);
    },
  };
}

/** Status and parsed body of a response; bodies are `any` so tests can assert on their shape. */
export async function readJson(res: Response): Promise<{ status: number; body: any }> {
  return { status: res.status, body: await res.json() };
}
