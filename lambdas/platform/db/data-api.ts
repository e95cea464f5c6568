import {
  BatchExecuteStatementCommand,
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  type RDSDataClientConfig,
  RollbackTransactionCommand,
} from '@aws-sdk/client-rds-data';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { currentRequestScope, type RequestScope } from '../observability/request-scope';
import { toDatabaseError } from './errors';
import { toSqlParameters, type Parameters } from './parameters';
import { DEFAULT_RETRY, isRetryable, withRetry, type RetryPolicy, type StatementOptions } from './retry';
import { toRows, type Row } from './rows';

/** Which cluster, secret and database statements go to. */
export interface DataApiTarget {
  resourceArn: string;
  secretArn: string;
  database: string;
}

export interface ExecuteResult<R> {
  rows: R[];
  rowsAffected: number;
}

/** What store modules take, so one function serves both plain calls and calls inside a transaction. */
export interface SqlExecutor {
  /** `options.idempotent`: the statement may be sent again when its answer was lost (see retry.ts). */
  query<R = Row>(sql: string, params?: Parameters, options?: StatementOptions): Promise<R[]>;
  execute<R = Row>(sql: string, params?: Parameters, options?: StatementOptions): Promise<ExecuteResult<R>>;
}

/**
 * Statements may run up to the service's 45 s limit; a shorter client timeout would retry a
 * statement that in fact succeeded. Past it the answer is lost: the call fails (the handler would
 * otherwise only log a warning and wait until the Lambda's own timeout).
 */
export const DATA_API_REQUEST_TIMEOUT_MS = 60_000;

/** `config` adds to ours (e.g. an explicit endpoint); `requestTimeoutMs` for tests of a hung service. */
export function createRdsDataClient(config: RDSDataClientConfig = {}, requestTimeoutMs = DATA_API_REQUEST_TIMEOUT_MS): RDSDataClient {
  return new RDSDataClient({
    // Retries are ours (DataApi.call): the SDK would resend any statement after a socket reset,
    // including one that already ran and is not safe to run twice.
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true }),
    ...config,
  });
}

/**
 * The only way lambdas reach PostgreSQL: one Data API call per statement, counted per request,
 * with backoff on the errors the SDK does not retry (a resuming Serverless v2 cluster).
 */
export class DataApi implements SqlExecutor {
  constructor(
    private readonly target: DataApiTarget,
    private readonly client: RDSDataClient = createRdsDataClient(),
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {}

  async query<R = Row>(sql: string, params?: Parameters, options?: StatementOptions): Promise<R[]> {
    return (await this.execute<R>(sql, params, options)).rows;
  }

  execute<R = Row>(sql: string, params?: Parameters, options: StatementOptions = {}, transactionId?: string): Promise<ExecuteResult<R>> {
    const command = new ExecuteStatementCommand({
      ...this.target,
      sql,
      parameters: toSqlParameters(params),
      transactionId,
      includeResultMetadata: true,
    });
    // Inside a transaction a failed statement has already killed it: retrying cannot help.
    return this.call(async () => {
      const out = await this.client.send(command);
      return { rows: toRows(out.records, out.columnMetadata) as R[], rowsAffected: out.numberOfRecordsUpdated ?? 0 };
    }, transactionId === undefined ? options : NO_RETRY);
  }

  /** Runs one statement once per parameter set, atomically. */
  async batch(sql: string, parameterSets: Parameters[], transactionId?: string): Promise<void> {
    if (parameterSets.length === 0) return;
    const command = new BatchExecuteStatementCommand({ ...this.target, sql, transactionId, parameterSets: parameterSets.map(toSqlParameters) });
    await this.call(() => this.client.send(command), transactionId === undefined ? {} : NO_RETRY);
  }

  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws.
   * Statements of one transaction must run one after another (the service rejects overlap).
   */
  async transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    // A lost answer to BeginTransaction leaves at most an idle transaction, which the service expires.
    const { transactionId } = await this.call(() => this.client.send(new BeginTransactionCommand(this.target)), { idempotent: true });
    if (!transactionId) throw toDatabaseError(new Error('BeginTransaction returned no transactionId'));
    const scope = currentRequestScope();
    const mark = scope?.afterCommit.length ?? 0;
    if (scope) scope.transactionDepth += 1;
    let result: T;
    try {
      result = await work(new Transaction(this, transactionId));
    } catch (err) {
      // The service already dropped a transaction whose statement failed; rollback is best effort.
      await this.call(() => this.client.send(new RollbackTransactionCommand({ ...this.target, transactionId })), NO_RETRY).catch(() => undefined);
      settle(scope, mark, false);
      throw err;
    }
    try {
      await this.call(() => this.client.send(new CommitTransactionCommand({ ...this.target, transactionId })), NO_RETRY);
    } catch (err) {
      settle(scope, mark, false);
      throw err;
    }
    settle(scope, mark, true);
    return result;
  }

  /** `retry`: how the call may be retried (retry.ts decides from the failure); NO_RETRY: never. */
  private async call<T>(send: () => Promise<T>, retry: StatementOptions | typeof NO_RETRY): Promise<T> {
    const attempt = async () => {
      const scope = currentRequestScope();
      if (scope) scope.dbStatements += 1;
      return send();
    };
    try {
      return retry === NO_RETRY ? await attempt() : await withRetry(attempt, this.retry, (err) => isRetryable(err, retry));
    } catch (err) {
      throw toDatabaseError(err);
    }
  }
}

/** Calls inside a transaction, and its commit and rollback: the transaction's state decides, not a resend. */
const NO_RETRY = Symbol('no retry');

/** Closes a transaction in the request scope: what waited for it runs on commit, and is dropped on rollback. */
function settle(scope: RequestScope | undefined, mark: number, committed: boolean): void {
  if (!scope) return;
  scope.transactionDepth -= 1;
  const waiting = scope.afterCommit.splice(mark);
  if (committed) waiting.forEach((run) => run());
}

export class Transaction implements SqlExecutor {
  constructor(
    private readonly db: DataApi,
    readonly id: string,
  ) {}

  async query<R = Row>(sql: string, params?: Parameters): Promise<R[]> {
    return (await this.db.execute<R>(sql, params, {}, this.id)).rows;
  }

  execute<R = Row>(sql: string, params?: Parameters): Promise<ExecuteResult<R>> {
    return this.db.execute<R>(sql, params, {}, this.id);
  }

  batch(sql: string, parameterSets: Parameters[]): Promise<void> {
    return this.db.batch(sql, parameterSets, this.id);
  }
}
