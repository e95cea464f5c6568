import type { ClientBase, QueryArrayConfig, QueryArrayResult } from 'pg';
import { AwsServiceError } from '../aws-http';
import { statementTimeout, toServiceError } from './errors';
import type { Database } from './pools';
import type { RawRow } from './result-encoding';
import type { BoundStatement } from './sql-binding';
import { RAW_TEXT } from './types';

/*
 * Runs one bound statement with the service's statement timeout. The timeout is ours (a timer,
 * then a cancel from another connection) rather than PostgreSQL's statement_timeout, so that
 * continueAfterTimeout can answer the caller while the statement keeps running, as on AWS.
 */

/** The timeout error, plus when the statement really ended (true: it succeeded). */
export class StatementTimeoutError extends AwsServiceError {
  constructor(
    readonly dbConnectionId: number,
    timeoutMs: number,
    readonly finished: Promise<boolean>,
    /** continueAfterTimeout: the statement was left running. */
    readonly continued: boolean,
  ) {
    const template = statementTimeout(dbConnectionId, timeoutMs);
    super(template.code, template.message, template.status, template.extra);
  }
}

/** Statements running now, so stop() can cancel them. */
export class RunningStatements {
  private readonly running = new Map<Promise<boolean>, { db: Database; pid: number }>();

  track(db: Database, pid: number, finished: Promise<boolean>): void {
    this.running.set(finished, { db, pid });
    void finished.then(() => this.running.delete(finished));
  }

  async cancelAll(): Promise<void> {
    const all = [...this.running.entries()];
    await Promise.all(all.map(([, { db, pid }]) => db.cancel(pid).catch(() => {})));
    await Promise.all(all.map(([finished]) => finished));
  }
}

export interface RunOptions {
  timeoutMs: number;
  continueAfterTimeout: boolean;
  running: RunningStatements;
}

export function backendPid(client: ClientBase): number {
  return (client as unknown as { processID: number | null }).processID ?? 0;
}

export async function runStatement(db: Database, client: ClientBase, bound: BoundStatement, options: RunOptions): Promise<QueryArrayResult<RawRow>> {
  // Extended protocol even without parameters: PostgreSQL itself then refuses a second statement.
  const config: QueryArrayConfig & { queryMode: 'extended' } = {
    text: bound.text,
    values: bound.values,
    rowMode: 'array',
    types: RAW_TEXT,
    queryMode: 'extended',
  };
  const query = client.query<RawRow>(config);
  const finished = query.then(
    () => true,
    () => false,
  );
  const pid = backendPid(client);
  options.running.track(db, pid, finished);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  try {
    const first = await Promise.race([query, timedOut]);
    if (first !== 'timeout') return first;
  } catch (err) {
    throw toServiceError(err, bound.mapPosition);
  } finally {
    clearTimeout(timer);
  }
  if (!options.continueAfterTimeout) {
    await db.cancel(pid).catch(() => {});
    await finished;
  }
  throw new StatementTimeoutError(pid, options.timeoutMs, finished, options.continueAfterTimeout);
}
