import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from '../../local/postgres';

declare global {
  var __latchkeyPostgres: PostgresServer | undefined;
}

/** One PostgreSQL server for the whole run; each test file makes its own database on it. */
export default async function globalSetup(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-test-'));
  const server = await startPostgres({
    dataDir,
    database: 'latchkey_test',
    externalUrl: process.env.LATCHKEY_DATABASE_URL,
    persistent: false,
  });
  globalThis.__latchkeyPostgres = server;
  // Inherited by the test workers: Lambda runs Node 22, these machines Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  process.env.LATCHKEY_TEST_ADMIN_URL = server.adminUrl;
  process.env.LATCHKEY_TEST_DATA_DIR = dataDir;
}
