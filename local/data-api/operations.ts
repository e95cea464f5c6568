import type { PoolClient, QueryArrayResult } from 'pg';
import { badRequest, databaseError, toServiceError } from './errors';
import { runStatement, StatementTimeoutError, type RunningStatements } from './execute';
import type { Database, DatabaseRegistry } from './pools';
import type { BatchExecuteStatementRequest, BeginTransactionRequest, EndTransactionRequest, ExecuteStatementRequest } from './requests';
import { rejectSchema } from './requests';
import { columnMetadata } from './column-metadata';
import { checkRowSizes, encodeRecords, formatRecords, type EncodeOptions, type RawRow } from './result-encoding';
import { bindStatement, prepareParameters, type BoundStatement } from './sql-binding';
import type { Transaction, TransactionRegistry } from './transactions';
import { columnSources } from './types';

/*
 * The five operations. Each returns its response as JSON text, because ExecuteStatement must
 * measure the serialized size (1 MiB limit) before it decides whether the call failed.
 *
 * Transaction rule: errors found before the statement reaches PostgreSQL (request validation,
 * binding, multi-statements) leave a transaction alone; any error once it ran (PostgreSQL errors,
 * timeouts, result limits) rolls the transaction back and forgets it, as the service does.
 */

export interface OperationContext {
  databases: DatabaseRegistry;
  transactions: TransactionRegistry;
  running: RunningStatements;
  statementTimeoutMs: number;
  /** Clean-ups still running after a response (continueAfterTimeout); stop() waits for them. */
  background: Set<Promise<unknown>>;
  /** The PostgreSQL role a secret logs in as (DataApiServerOptions.rolesBySecretArn); none: the connection's own. */
  roleFor(secretArn: string): string | undefined;
}

/** `SET ROLE` for a role name (quoted as an identifier). */
export function setRoleSql(role: string, local = false): string {
  return `SET ${local ? 'LOCAL ' : ''}ROLE "${role.replace(/"/g, '""')}"`;
}

/** The service's response size limit; chosen error: DatabaseErrorException with the service's wording. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
const DML = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);
/** Statements that leave a pooled session inside a transaction block. */
const OPENS_BLOCK = new Set(['BEGIN', 'START']);

/** A connection for one call: the transaction's, or a pooled one in autocommit mode. */
interface Session {
  db: Database;
  client: PoolClient;
  tx?: Transaction;
  /** Set for this call on a pooled connection: reset before the connection goes back. */
  role?: string;
}

async function openSession(ctx: OperationContext, database: string | undefined, transactionId: string | undefined, secretArn: string): Promise<Session> {
  if (transactionId) {
    const tx = ctx.transactions.acquire(transactionId);
    return { db: tx.db, client: tx.client, tx };
  }
  const db = ctx.databases.get(database);
  const role = ctx.roleFor(secretArn);
  let client: PoolClient | undefined;
  try {
    client = await db.pool.connect();
    if (role) await client.query(setRoleSql(role));
    return { db, client, role };
  } catch (err) {
    client?.release(true);
    throw toServiceError(err);
  }
}

/** Ends the call's use of its connection; a statement still running (continueAfterTimeout) keeps it until it ends. */
function closeSession(ctx: OperationContext, session: Session, error: unknown, command?: string | null): Promise<void> {
  const ok = error === undefined;
  const release = async (stillOk: boolean) => {
    if (session.tx) return ctx.transactions.settle(session.tx, stillOk);
    let discard = OPENS_BLOCK.has(command ?? '');
    if (session.role && !discard) discard = await session.client.query('RESET ROLE').then(() => false, () => true);
    session.client.release(discard ? true : undefined);
  };
  if (error instanceof StatementTimeoutError) {
    // A cancelled statement aborts its transaction; a continued one decides its fate when it ends.
    const cleanup = error.finished.then((succeeded) => release(succeeded && error.continued));
    ctx.background.add(cleanup);
    void cleanup.finally(() => ctx.background.delete(cleanup));
    return Promise.resolve();
  }
  return release(ok);
}

function encodeOptions(request: ExecuteStatementRequest): EncodeOptions {
  return {
    longAsString: request.resultSetOptions?.longReturnType === 'STRING',
    decimalAsNumber: request.resultSetOptions?.decimalReturnType === 'DOUBLE_OR_LONG',
  };
}

async function buildExecuteResponse(session: Session, request: ExecuteStatementRequest, result: QueryArrayResult<RawRow>): Promise<string> {
  const response: Record<string, unknown> = {};
  const { fields, rows } = result;
  // A schema change may alter what the cached column facts say.
  if (!DML.has(result.command) && result.command !== 'SELECT') session.db.columns.clear();
  // Statements without a result set (DML without RETURNING, DDL) answer neither records nor formattedRecords.
  if (fields.length > 0 || result.command === 'SELECT') {
    await session.db.types.resolve(session.client, fields);
    const types = fields.map((f) => session.db.types.get(f.dataTypeID));
    checkRowSizes(rows, types);
    const options = encodeOptions(request);
    if (request.formatRecordsAs === 'JSON') {
      response.formattedRecords = formatRecords(fields, rows, types, options);
    } else {
      response.records = encodeRecords(rows, types, options);
      if (request.includeResultMetadata) {
        response.columnMetadata = columnMetadata(fields, session.db.types, await columnSources(session.client, fields, session.db.columns));
      }
    }
  }
  response.numberOfRecordsUpdated = DML.has(result.command) ? (result.rowCount ?? 0) : 0;
  response.generatedFields = []; // not supported for PostgreSQL: RETURNING rows come back in records
  const body = JSON.stringify(response);
  if (Buffer.byteLength(body) > MAX_RESPONSE_BYTES) throw databaseError('Database returned more than the allowed response size limit');
  return body;
}

export async function executeStatement(ctx: OperationContext, request: ExecuteStatementRequest): Promise<string> {
  rejectSchema(request);
  const bound = bindStatement(request.sql, prepareParameters(request.parameters));
  const session = await openSession(ctx, request.database, request.transactionId, request.secretArn);
  let error: unknown;
  let command: string | null = null;
  try {
    const result = await runStatement(session.db, session.client, bound, {
      timeoutMs: ctx.statementTimeoutMs,
      continueAfterTimeout: request.continueAfterTimeout ?? false,
      running: ctx.running,
    });
    command = result.command;
    return await buildExecuteResponse(session, request, result);
  } catch (err) {
    error = err;
    throw toServiceError(err);
  } finally {
    await closeSession(ctx, session, error, command);
  }
}

export async function batchExecuteStatement(ctx: OperationContext, request: BatchExecuteStatementRequest): Promise<string> {
  rejectSchema(request);
  const sets = request.parameterSets ?? [];
  if (sets.length === 0) throw badRequest('parameterSets must hold at least one parameter set (an empty set runs the statement once without parameters)');
  const statements: BoundStatement[] = sets.map((set) => bindStatement(request.sql, prepareParameters(set)));
  const session = await openSession(ctx, request.database, request.transactionId, request.secretArn);
  const run = (statement: BoundStatement) =>
    runStatement(session.db, session.client, statement, { timeoutMs: ctx.statementTimeoutMs, continueAfterTimeout: false, running: ctx.running });
  let error: unknown;
  try {
    // Without a transaction the sets share an implicit one: a failing set undoes the earlier ones.
    if (!session.tx) await session.client.query('BEGIN');
    for (const statement of statements) await run(statement);
    if (!session.tx) await session.client.query('COMMIT');
    return JSON.stringify({ updateResults: statements.map(() => ({ generatedFields: [] })) });
  } catch (err) {
    error = err;
    if (!session.tx) await session.client.query('ROLLBACK').catch(() => {});
    throw toServiceError(err);
  } finally {
    await closeSession(ctx, session, error);
  }
}

export async function beginTransaction(ctx: OperationContext, request: BeginTransactionRequest): Promise<string> {
  rejectSchema(request);
  try {
    const transactionId = await ctx.transactions.begin(ctx.databases.get(request.database), ctx.roleFor(request.secretArn));
    return JSON.stringify({ transactionId });
  } catch (err) {
    throw toServiceError(err);
  }
}

export async function endTransaction(ctx: OperationContext, request: EndTransactionRequest, command: 'COMMIT' | 'ROLLBACK'): Promise<string> {
  const tx = ctx.transactions.acquire(request.transactionId);
  try {
    await ctx.transactions.finish(tx, command);
  } catch (err) {
    throw toServiceError(err);
  }
  return JSON.stringify({ transactionStatus: command === 'COMMIT' ? 'Transaction Committed' : 'Rollback Complete' });
}
