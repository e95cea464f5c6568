/** Messages between a function pool (main thread) and one of its instances (a worker thread). */

/** The serialisable part of a Lambda `Context`; the instance rebuilds the methods around `deadline`. */
export interface ContextFields {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  /** Epoch ms at which the invocation times out. */
  deadline: number;
}

export interface InstanceData {
  /** Absolute path of the module that exports `handler`. */
  entry: string;
  instanceId: string;
  /** One log stream per execution environment, as in CloudWatch. */
  logStreamName: string;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
}

export type ToInstance = { kind: 'invoke'; id: number; event: unknown; context: ContextFields };

export type FromInstance =
  | { kind: 'ready' }
  | { kind: 'init-error'; error: SerializedError }
  /** A chunk the instance wrote to stdout or stderr, forwarded in order ahead of the result. */
  | { kind: 'log'; stream: 'stdout' | 'stderr'; text: string }
  /** `json` is the handler's result already serialised (Lambda marshals it to JSON in the instance). */
  | { kind: 'result'; id: number; ok: true; json: string }
  | { kind: 'result'; id: number; ok: false; error: SerializedError };

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: 'Error', message: String(err) };
}
