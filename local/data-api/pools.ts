import { Client, Pool } from 'pg';
import { withDatabase } from '../postgres';
import { TypeCatalog, type ColumnSource } from './types';

/*
 * One pg pool per database named in requests (created lazily), all on the server of the
 * configured connection string. Sessions are forced to UTC and ISO dates so the text output the
 * encoder reads never depends on the server's configuration.
 */

const SESSION_OPTIONS = '-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c bytea_output=hex';

export class Database {
  readonly pool: Pool;
  readonly types = new TypeCatalog();
  /** Result-column facts by `tableOid.columnNumber`; cleared whenever DDL runs on this database. */
  readonly columns = new Map<string, ColumnSource>();

  constructor(readonly connectionString: string, max: number) {
    this.pool = new Pool({ connectionString, max, options: SESSION_OPTIONS, idleTimeoutMillis: 30_000 });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  /** Cancels whatever backend `pid` is running, from a separate connection (as a JDBC cancel would). */
  async cancel(pid: number): Promise<void> {
    const client = new Client({ connectionString: this.connectionString });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT pg_cancel_backend($1)', [pid]);
    } finally {
      await client.end().catch(() => {});
    }
  }
}

export class DatabaseRegistry {
  private readonly databases = new Map<string, Database>();
  private readonly defaultName: string;

  constructor(private readonly connectionString: string, private readonly maxConnections: number) {
    this.defaultName = decodeURIComponent(new URL(connectionString).pathname.slice(1)) || 'postgres';
  }

  /** The pool for `name`, or for the connection string's own database when no name is given. */
  get(name?: string): Database {
    const key = name || this.defaultName;
    let db = this.databases.get(key);
    if (!db) {
      db = new Database(withDatabase(new URL(this.connectionString), key), this.maxConnections);
      this.databases.set(key, db);
    }
    return db;
  }

  async closeAll(): Promise<void> {
    const all = [...this.databases.values()];
    this.databases.clear();
    await Promise.all(all.map((db) => db.pool.end().catch(() => {})));
  }
}
