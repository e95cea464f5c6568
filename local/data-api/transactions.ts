import { randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import { transactionBusy, transactionNotFound } from './errors';
import type { Database } from './pools';

/*
 * Open transactions, each holding one pooled connection with BEGIN issued. The rules follow the
 * service (aws-facts §1.5): an id is unknown once committed, rolled back, expired (idle or past
 * its maximum life) or aborted by a failed statement; a second call while one is running fails
 * at once with "Transaction is still running a query".
 */

export interface Transaction {
  readonly id: string;
  readonly client: PoolClient;
  readonly db: Database;
  busy: boolean;
  /** Expired or closed while a statement was running: roll back once it finishes. */
  doomed: boolean;
  idleTimer?: NodeJS.Timeout;
  lifeTimer?: NodeJS.Timeout;
}

export interface TransactionLimits {
  idleTimeoutMs: number;
  maxLifeMs: number;
}

export class TransactionRegistry {
  private readonly open = new Map<string, Transaction>();

  constructor(private readonly limits: TransactionLimits) {}

  get size(): number {
    return this.open.size;
  }

  /** `role`: the transaction runs as it (SET LOCAL ROLE ends with the transaction). */
  async begin(db: Database, role?: string): Promise<string> {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      if (role) await client.query(`SET LOCAL ROLE "${role.replace(/"/g, '""')}"`);
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    // Opaque and unguessable like the service's ids (which are well under the 192-char limit).
    const id = randomBytes(64).toString('base64');
    const tx: Transaction = { id, client, db, busy: false, doomed: false };
    tx.lifeTimer = setTimeout(() => this.expire(tx), this.limits.maxLifeMs);
    tx.lifeTimer.unref();
    this.open.set(id, tx);
    this.armIdle(tx);
    return id;
  }

  /** Claims the transaction for one call. */
  acquire(id: string): Transaction {
    const tx = this.open.get(id);
    if (!tx) throw transactionNotFound(id);
    if (tx.busy) throw transactionBusy();
    tx.busy = true;
    clearTimeout(tx.idleTimer);
    return tx;
  }

  /** Ends a call: a failed statement aborts the transaction (rolled back and forgotten). */
  async settle(tx: Transaction, ok: boolean): Promise<void> {
    tx.busy = false;
    if (ok && !tx.doomed && this.open.get(tx.id) === tx) {
      this.armIdle(tx);
      return;
    }
    await this.finish(tx, 'ROLLBACK').catch(() => {});
  }

  /** COMMIT or ROLLBACK an acquired transaction; the id is forgotten whatever the outcome. */
  async finish(tx: Transaction, command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    this.forget(tx);
    try {
      await tx.client.query(command);
      tx.client.release();
    } catch (err) {
      tx.client.release(err as Error); // discard the connection rather than reuse an unknown state
      throw err;
    }
  }

  /** Rolls back every open transaction (server stop). Running ones are rolled back when their statement ends. */
  async closeAll(): Promise<void> {
    const all = [...this.open.values()];
    await Promise.all(all.map((tx) => this.expire(tx)));
  }

  private forget(tx: Transaction): void {
    if (this.open.get(tx.id) === tx) this.open.delete(tx.id);
    clearTimeout(tx.idleTimer);
    clearTimeout(tx.lifeTimer);
  }

  private armIdle(tx: Transaction): void {
    clearTimeout(tx.idleTimer);
    tx.idleTimer = setTimeout(() => void this.expire(tx), this.limits.idleTimeoutMs);
    tx.idleTimer.unref();
  }

  private async expire(tx: Transaction): Promise<void> {
    if (this.open.get(tx.id) !== tx) return;
    if (tx.busy) {
      this.forget(tx);
      tx.doomed = true;
      return;
    }
    tx.busy = true;
    await this.finish(tx, 'ROLLBACK').catch(() => {});
  }
}
