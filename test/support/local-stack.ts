import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { LocalStack, type LocalStackOptions } from '../../local/stack';
import { dropDatabase } from '../../local/postgres';
import { testAdminUrl } from './databases';

export interface TestStack {
  stack: LocalStack;
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * The whole local stack for one test file, on the run's PostgreSQL server with a database of its
 * own, stand-ins on ephemeral ports, handler logs quiet unless LATCHKEY_TEST_LOGS is set.
 */
export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  process.env.POWERTOOLS_LOG_LEVEL = process.env.LATCHKEY_TEST_LOGS ? 'DEBUG' : 'SILENT';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-stack-'));
  const database = `t_${randomBytes(6).toString('hex')}`;
  const stack = await LocalStack.start({ dataDir, databaseUrl: testAdminUrl(), database, ...options });
  return {
    stack,
    baseUrl: stack.baseUrl,
    stop: async () => {
      await stack.stop();
      await dropDatabase(testAdminUrl(), database);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
