/**
 * The body of one local execution environment (a worker thread): it loads the function's module
 * once (the init phase) and then runs one invocation at a time, as the Lambda runtime does. Module
 * state (the logger's context, caches, AsyncLocalStorage) therefore belongs to this instance only.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { LambdaHandler } from '../lambda-context';
import { serializeError, type ContextFields, type FromInstance, type InstanceData, type ToInstance } from './protocol';

const port = parentPort;
if (!port) throw new Error('instance-worker runs only as a worker thread');
const { entry, logStreamName } = workerData as InstanceData;
const post = (message: FromInstance) => port.postMessage(message);

// Output travels with the invocation's messages, so it reaches the parent's stdout before the result.
for (const stream of ['stdout', 'stderr'] as const) {
  process[stream].write = ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
    post({ kind: 'log', stream, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') done();
    return true;
  }) as typeof process.stdout.write;
}

function toContext(fields: ContextFields): Context {
  const legacy = (name: string) => () => {
    throw new Error(`context.${name}() is not supported by the local runtime: return or throw from the async handler`);
  };
  return {
    ...fields,
    logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, fields.deadline - Date.now()),
    done: legacy('done'),
    fail: legacy('fail'),
    succeed: legacy('succeed'),
  };
}

let handler: LambdaHandler;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  handler = (require(entry) as { handler: LambdaHandler }).handler;
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a handler function`);
  post({ kind: 'ready' });
} catch (err) {
  post({ kind: 'init-error', error: serializeError(err) });
}

port.on('message', (message: ToInstance) => {
  void invoke(message);
});

async function invoke({ id, event, context }: ToInstance): Promise<void> {
  let result: unknown;
  try {
    result = await handler(event, toContext(context));
  } catch (err) {
    return post({ kind: 'result', id, ok: false, error: serializeError(err) });
  }
  let json: string;
  try {
    json = JSON.stringify(result) ?? 'null';
  } catch (err) {
    return post({ kind: 'result', id, ok: false, error: { name: 'Runtime.MarshalError', message: `Unable to marshal response: ${(err as Error).message}` } });
  }
  post({ kind: 'result', id, ok: true, json });
}
