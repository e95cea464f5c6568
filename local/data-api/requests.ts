import * as z from 'zod';
import { badRequest } from './errors';

/*
 * Request shapes and member constraints from the rds-data model (2018-08-01). Unknown members are
 * ignored, as a restJson1 service does. Field unions are checked later, in sql-binding, where the
 * messages can name the parameter.
 */

const Arn = z.string().min(11).max(100);
const Sql = z.string().max(65_536);
const Database = z.string().max(64);
const TransactionId = z.string().max(192);
const SqlParameter = z.object({
  name: z.string().optional(),
  value: z.unknown().optional(),
  typeHint: z.enum(['JSON', 'UUID', 'TIMESTAMP', 'DATE', 'TIME', 'DECIMAL']).optional(),
});

const Common = { resourceArn: Arn, secretArn: Arn, database: Database.optional(), schema: z.string().optional() };

export const ExecuteStatementRequest = z.object({
  ...Common,
  sql: Sql,
  parameters: z.array(SqlParameter).optional(),
  transactionId: TransactionId.optional(),
  includeResultMetadata: z.boolean().optional(),
  continueAfterTimeout: z.boolean().optional(),
  resultSetOptions: z
    .object({
      decimalReturnType: z.enum(['STRING', 'DOUBLE_OR_LONG']).optional(),
      longReturnType: z.enum(['STRING', 'LONG']).optional(),
    })
    .optional(),
  formatRecordsAs: z.enum(['NONE', 'JSON']).optional(),
});
export type ExecuteStatementRequest = z.infer<typeof ExecuteStatementRequest>;

export const BatchExecuteStatementRequest = z.object({
  ...Common,
  sql: Sql,
  parameterSets: z.array(z.array(SqlParameter)).optional(),
  transactionId: TransactionId.optional(),
});
export type BatchExecuteStatementRequest = z.infer<typeof BatchExecuteStatementRequest>;

export const BeginTransactionRequest = z.object(Common);
export type BeginTransactionRequest = z.infer<typeof BeginTransactionRequest>;

export const EndTransactionRequest = z.object({ resourceArn: Arn, secretArn: Arn, transactionId: TransactionId });
export type EndTransactionRequest = z.infer<typeof EndTransactionRequest>;

/** Parses a JSON body against `schema`, answering like an AWS service ("1 validation error detected: ..."). */
export function parseRequest<T extends z.ZodType>(schema: T, body: Buffer): z.infer<T> {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => `Value at '${issue.path.join('.') || '(body)'}' failed to satisfy constraint: ${issue.message}`);
  const count = issues.length;
  throw badRequest(`${count} validation error${count === 1 ? '' : 's'} detected: ${issues.join('; ')}`);
}

/** The model documents `schema` as not supported; refusing it keeps callers from relying on it. */
export function rejectSchema(request: { schema?: string }): void {
  if (request.schema !== undefined) throw badRequest('The schema parameter isn\'t supported.');
}
