import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { AwsServiceError, createEndpointServer, listen, readBody, sendRestJsonError } from '../aws-http';
import { StandInControl } from '../stand-in-control';
import { toServiceError, unknownOperation } from './errors';
import { RunningStatements } from './execute';
import { batchExecuteStatement, beginTransaction, endTransaction, executeStatement, type OperationContext } from './operations';
import { DatabaseRegistry } from './pools';
import { BatchExecuteStatementRequest, BeginTransactionRequest, EndTransactionRequest, ExecuteStatementRequest, parseRequest } from './requests';
import { TransactionRegistry } from './transactions';

/*
 * Local stand-in for the RDS Data API (restJson1, `@aws-sdk/client-rds-data`) over a real
 * PostgreSQL. SigV4 signatures are ignored; resourceArn/secretArn are only checked for presence
 * and length (11–100), as the model constrains them.
 */

export interface DataApiServerOptions {
  /** PostgreSQL connection string; its database is the default when a request has no `database`. */
  connectionString: string;
  /** Idle expiry of transactions (real service: 3 minutes). */
  transactionIdleTimeoutMs?: number;
  /** Maximum life of a transaction (real service: 24 hours). */
  transactionMaxLifeMs?: number;
  /** Statement timeout (real service: 45 s) → StatementTimeoutException. */
  statementTimeoutMs?: number;
  /** Max pooled connections per database. */
  maxConnections?: number;
  /**
   * Secret ARN → PostgreSQL role, as each secret's user logs in on AWS (per-function database roles):
   * statements of a call with that secret run as the role (SET ROLE), so missing grants fail here
   * as they would there. Secrets not listed use the connection string's user.
   */
  rolesBySecretArn?: Readonly<Record<string, string>>;
}


/** The service's request limit: 4 MiB (model, BatchExecuteStatement doc). */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

interface Route {
  operation: string;
  run(ctx: OperationContext, body: Buffer): Promise<string>;
}

const ROUTES: Record<string, Route> = {
  '/Execute': { operation: 'ExecuteStatement', run: (ctx, body) => executeStatement(ctx, parseRequest(ExecuteStatementRequest, body)) },
  '/BatchExecute': {
    operation: 'BatchExecuteStatement',
    run: (ctx, body) => batchExecuteStatement(ctx, parseRequest(BatchExecuteStatementRequest, body)),
  },
  '/BeginTransaction': { operation: 'BeginTransaction', run: (ctx, body) => beginTransaction(ctx, parseRequest(BeginTransactionRequest, body)) },
  '/CommitTransaction': {
    operation: 'CommitTransaction',
    run: (ctx, body) => endTransaction(ctx, parseRequest(EndTransactionRequest, body), 'COMMIT'),
  },
  '/RollbackTransaction': {
    operation: 'RollbackTransaction',
    run: (ctx, body) => endTransaction(ctx, parseRequest(EndTransactionRequest, body), 'ROLLBACK'),
  },
};

export class DataApiServer {
  readonly control = new StandInControl();
  private readonly ctx: OperationContext;
  private server?: Server;
  private readonly inflight = new Set<Promise<void>>();
  private accepted = 0;

  constructor(options: DataApiServerOptions) {
    this.ctx = {
      databases: new DatabaseRegistry(options.connectionString, options.maxConnections ?? 20),
      transactions: new TransactionRegistry({
        idleTimeoutMs: options.transactionIdleTimeoutMs ?? 180_000,
        maxLifeMs: options.transactionMaxLifeMs ?? 86_400_000,
      }),
      running: new RunningStatements(),
      statementTimeoutMs: options.statementTimeoutMs ?? 45_000,
      background: new Set(),
      roleFor: (secretArn) => options.rolesBySecretArn?.[secretArn],
    };
  }

  /** TCP connections accepted since start (for tests and diagnostics: keep-alive reuse). */
  get acceptedConnections(): number {
    return this.accepted;
  }

  /** Number of open transactions (for tests and diagnostics). */
  get openTransactions(): number {
    return this.ctx.transactions.size;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) throw new Error('DataApiServer is already started');
    const server = createEndpointServer((req, res) => {
      const handled = this.handle(req, res);
      this.inflight.add(handled);
      void handled.finally(() => this.inflight.delete(handled));
    });
    server.on('connection', () => (this.accepted += 1));
    const url = await listen(server, port, host);
    this.server = server;
    return url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    // Cancel what is running until the in-flight calls are done, so stop never waits on a long statement.
    while (this.inflight.size > 0) {
      await this.ctx.running.cancelAll();
      await Promise.race([Promise.allSettled([...this.inflight]), sleep(50)]);
    }
    await this.ctx.running.cancelAll();
    await Promise.allSettled([...this.ctx.background]);
    await this.ctx.transactions.closeAll();
    await this.ctx.databases.closeAll();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (await this.control.handleHttp(req, res)) return;
      const path = (req.url ?? '').split('?')[0];
      const route = req.method === 'POST' && Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
      if (!route) throw unknownOperation(req.method ?? '', path);
      await this.control.enter(route.operation);
      const body = await readRequest(req);
      const json = await route.run(this.ctx, body);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
    } catch (err) {
      const error = err instanceof AwsServiceError ? err : toServiceError(err);
      if (!res.headersSent && !res.destroyed) sendRestJsonError(res, error);
    }
  }
}

/** Refuses an oversized body from its Content-Length before reading it, so the client gets the 413 rather than a reset. */
async function readRequest(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES) {
    throw new AwsServiceError('RequestEntityTooLargeException', `Request size exceeds the limit of ${MAX_REQUEST_BYTES} bytes`, 413);
  }
  return readBody(req, MAX_REQUEST_BYTES);
}
