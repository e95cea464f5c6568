import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { DEPLOY_FUNCTIONS, FUNCTIONS, LAMBDA_MAX_EVENT_BYTES } from '../lib/topology';

/**
 * What the local stand-ins (API Gateway, scheduler) share about Lambda itself: the `Context` a
 * handler receives and the invoke semantics around it (JSON in and out, timeout, payload limits),
 * so a handler sees the same thing whichever front invoked it.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any, context: Context) => Promise<any>;

/** Fake account used in every local ARN and requestContext (never a real one). */
export const LOCAL_ACCOUNT_ID = '000000000000';
/** Lambda's synchronous response payload limit (the service counts 6 MiB + 100 bytes; requests 6 MiB). */
export const LAMBDA_PAYLOAD_LIMIT_BYTES = 6_291_556;
/** Lambda's default when a function is not in lib/topology.ts. */
const DEFAULT_MEMORY_MB = 128;
const DEFAULT_TIMEOUT_SECONDS = 3;

export function localRegion(): string {
  return process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

export interface LocalFunction {
  /** Name in lib/topology.ts (`api`). */
  name: string;
  /** Deployed-style name the handler sees (`latchkey-local-api`). */
  functionName: string;
  memoryMb: number;
  timeoutMs: number;
}

export function localFunction(name: string): LocalFunction {
  // Deploy-time functions (migrate, bootstrap) have their own, longer limits too.
  const spec = [...FUNCTIONS, ...DEPLOY_FUNCTIONS].find((f) => f.name === name);
  return {
    name,
    functionName: `latchkey-local-${name}`,
    memoryMb: spec?.memoryMb ?? DEFAULT_MEMORY_MB,
    timeoutMs: (spec?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
  };
}

/** A fresh Context for one invocation; the remaining time counts down from the function's timeout. */
export function createLambdaContext(fn: LocalFunction, startedAt = Date.now()): Context {
  const arn = `arn:aws:lambda:${localRegion()}:${LOCAL_ACCOUNT_ID}:function:${fn.functionName}`;
  const day = new Date(startedAt).toISOString().slice(0, 10).replaceAll('-', '/');
  const legacy = (name: string) => () => {
    // Async handlers return or throw; the callback-era helpers would silently do nothing here.
    throw new Error(`context.${name}() is not supported by the local runtime: return or throw from the async handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: fn.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: String(fn.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${fn.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + fn.timeoutMs - Date.now()),
    done: legacy('done'),
    fail: legacy('fail'),
    succeed: legacy('succeed'),
  };
}

export type InvokeOutcome =
  | { ok: true; result: unknown }
  /** `error` is what the handler threw, when it threw (kept for stack traces). */
  | { ok: false; errorType: string; errorMessage: string; error?: unknown };

/**
 * Invokes `handler` as Lambda would: the event arrives as parsed JSON, the result leaves as JSON
 * (so `undefined` becomes null and class instances lose their prototype), the function timeout
 * and the payload limits apply. A timed-out handler keeps running in-process: we cannot kill it,
 * only stop waiting, as the caller of a real Lambda would.
 */
export async function invokeLocal(
  handler: LambdaHandler,
  event: unknown,
  fn: LocalFunction,
  context: Context = createLambdaContext(fn),
): Promise<InvokeOutcome> {
  const payload = JSON.stringify(event);
  if (Buffer.byteLength(payload) > LAMBDA_MAX_EVENT_BYTES) {
    return fail('RequestEntityTooLargeException', `Request must be smaller than ${LAMBDA_MAX_EVENT_BYTES} bytes for the InvokeFunction operation`);
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvokeOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve(fail('Sandbox.Timedout', `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`)),
      fn.timeoutMs,
    );
  });
  const run = Promise.resolve()
    .then(() => handler(JSON.parse(payload), context))
    .then(serializeResult, (err: unknown) => ({ ...fail(errorName(err), err instanceof Error ? err.message : String(err)), error: err }));
  try {
    return await Promise.race([run, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function serializeResult(result: unknown): InvokeOutcome {
  let json: string;
  try {
    json = JSON.stringify(result) ?? 'null';
  } catch (err) {
    return fail('Runtime.MarshalError', `Unable to marshal response: ${(err as Error).message}`);
  }
  const size = Buffer.byteLength(json);
  if (size > LAMBDA_PAYLOAD_LIMIT_BYTES) {
    return fail('Function.ResponseSizeTooLarge', `Response payload size (${size} bytes) exceeded maximum allowed payload size (${LAMBDA_PAYLOAD_LIMIT_BYTES} bytes).`);
  }
  return { ok: true, result: JSON.parse(json) };
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : 'Error';
}

function fail(errorType: string, errorMessage: string): InvokeOutcome {
  return { ok: false, errorType, errorMessage };
}
