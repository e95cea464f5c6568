import { randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type { LambdaHandler, LocalFunction } from '../lambda-context';
import type { ContextFields, FromInstance, InstanceData, SerializedError, ToInstance } from './protocol';

export interface FunctionPoolOptions {
  fn: LocalFunction;
  /** Absolute path of the module that exports `handler` (TypeScript is loaded through tsx). */
  entry: string;
  /** Instances at most; past it, invocations wait for one to free up. */
  maxInstances: number;
  /** The environment an instance is created with (default: this process's). */
  environment?: () => NodeJS.ProcessEnv;
}

/** One invocation as the pool saw it (tests observe instances through this). */
export interface InvocationRecord {
  function: string;
  instanceId: string;
  awsRequestId: string;
  /** The instance was created for this invocation. */
  coldStart: boolean;
  startedAt: number;
  endedAt: number;
}

export interface PoolStats {
  instances: number;
  busy: number;
  queued: number;
  /** Instances created since the pool started (replaced ones included). */
  created: number;
}

/** Loads the instance body through tsx, the loader `npm start` runs the TypeScript sources with. */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
require(workerData.tsx).register();
require(workerData.body);
`;
const INSTANCE_BODY = path.join(__dirname, 'instance-worker.ts');

/**
 * A function's execution environments, as Lambda keeps them: each instance (a worker thread with
 * its own module registry) runs one invocation at a time; an invocation takes a warm idle instance,
 * or a new one when all are busy, up to `maxInstances`, and then waits in line. An instance that
 * times out or crashes is discarded, and a changed environment replaces idle instances, as a
 * configuration update does. Instances start lazily, so an unused function costs nothing.
 */
export class FunctionPool extends EventEmitter<{ invocation: [InvocationRecord] }> {
  private readonly instances: Instance[] = [];
  private readonly waiting: Array<{ resolve: (instance: Instance) => void; reject: (err: Error) => void }> = [];
  private created = 0;
  private stopped = false;

  /** Invokes through the pool; the caller (invokeLocal) applies Lambda's JSON and payload rules. */
  readonly handler: LambdaHandler = (event, context) => this.invoke(event, context);

  constructor(private readonly options: FunctionPoolOptions) {
    super();
    if (!(options.maxInstances >= 1)) throw new Error(`maxInstances must be at least 1 (got ${options.maxInstances})`);
  }

  async invoke(event: unknown, context: Context): Promise<unknown> {
    const instance = await this.acquire();
    const coldStart = instance.invocations === 0;
    const startedAt = Date.now();
    try {
      return await instance.invoke(event, context);
    } finally {
      const record = { function: this.options.fn.name, instanceId: instance.id, awsRequestId: context.awsRequestId, coldStart, startedAt, endedAt: Date.now() };
      this.release(instance);
      this.emit('invocation', record);
    }
  }

  stats(): PoolStats {
    return { instances: this.instances.length, busy: this.instances.filter((i) => i.busy).length, queued: this.waiting.length, created: this.created };
  }

  /**
   * Takes no new invocation: those waiting for an instance, or for one still starting, fail at
   * once; invocations already running finish. Lets a shutdown wait for real work only.
   */
  drain(): void {
    this.stopped = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`${this.options.fn.functionName} is stopping`));
    for (const starting of this.instances.filter((i) => !i.initialized)) this.discard(starting);
  }

  /** Ends every instance; invocations in flight fail. */
  async stop(): Promise<void> {
    this.drain();
    await Promise.all(this.instances.splice(0).map((i) => i.terminate()));
  }

  private acquire(): Promise<Instance> {
    if (this.stopped) return Promise.reject(new Error(`${this.options.fn.functionName} is stopped`));
    const env = this.environment();
    const signature = environmentSignature(env);
    for (const stale of this.instances.filter((i) => !i.busy && (!i.alive || i.signature !== signature))) this.discard(stale);
    const idle = this.instances.find((i) => !i.busy);
    if (idle) return Promise.resolve(idle.take());
    if (this.instances.length < this.options.maxInstances) return Promise.resolve(this.spawn(env, signature).take());
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(instance: Instance): void {
    instance.put();
    if (!instance.alive || instance.signature !== environmentSignature(this.environment())) this.discard(instance);
    const waiter = this.waiting.shift();
    if (!waiter) return;
    if (this.instances.includes(instance)) return waiter.resolve(instance.take());
    const env = this.environment();
    waiter.resolve(this.spawn(env, environmentSignature(env)).take());
  }

  private spawn(env: NodeJS.ProcessEnv, signature: string): Instance {
    this.created += 1;
    const instance = new Instance(this.options.entry, env, signature);
    this.instances.push(instance);
    return instance;
  }

  private discard(instance: Instance): void {
    const at = this.instances.indexOf(instance);
    if (at >= 0) this.instances.splice(at, 1);
    void instance.terminate();
  }

  private environment(): NodeJS.ProcessEnv {
    return this.options.environment?.() ?? process.env;
  }
}

function environmentSignature(env: NodeJS.ProcessEnv): string {
  return JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface Pending {
  id: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** One execution environment: a worker thread that runs one invocation at a time. */
class Instance {
  readonly id = randomUUID();
  busy = false;
  alive = true;
  /** The module loaded (Lambda's init phase is over). */
  initialized = false;
  invocations = 0;
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private pending?: Pending;
  private nextId = 0;
  private settleReady?: { resolve: () => void; reject: (err: Error) => void };

  constructor(entry: string, env: NodeJS.ProcessEnv, readonly signature: string) {
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const data: InstanceData & { tsx: string; body: string } = {
      entry,
      instanceId: this.id,
      logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
      tsx: require.resolve('tsx/cjs/api'),
      body: INSTANCE_BODY,
    };
    // No inherited execArgv: the parent's loader flags (tsx's CLI hooks) are not the instance's; it registers tsx itself.
    this.worker = new Worker(BOOTSTRAP, { eval: true, workerData: data, env: { ...env }, execArgv: [] });
    this.ready = new Promise<void>((resolve, reject) => (this.settleReady = { resolve, reject }));
    // Nobody may be waiting yet; the invocation that awaits `ready` sees the failure.
    this.ready.catch(() => {});
    this.worker.on('message', (message: FromInstance) => {
      if (message.kind === 'log') (message.stream === 'stderr' ? process.stderr : process.stdout).write(message.text);
      else if (message.kind === 'ready') {
        this.initialized = true;
        this.settleReady?.resolve();
      }
      else if (message.kind === 'init-error') this.fail(toError(message.error)); else if (message.kind === 'result' && this.pending?.id === message.id) {
        const { resolve, reject } = this.finish();
        if (message.ok) resolve(JSON.parse(message.json));
        else reject(toError(message.error));
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(Object.assign(new Error(`Runtime exited with error: exit status ${code}`), { name: 'Runtime.ExitError' })));
  }

  take(): this {
    this.busy = true;
    this.worker.ref();
    return this;
  }

  put(): void {
    this.busy = false;
    // An idle instance must not keep the process alive.
    this.worker.unref();
  }

  async invoke(event: unknown, context: Context): Promise<unknown> {
    await this.ready;
    if (!this.alive) throw new Error('instance is gone');
    this.invocations += 1;
    const remaining = context.getRemainingTimeInMillis();
    const fields: ContextFields = {
      functionName: context.functionName,
      functionVersion: context.functionVersion,
      invokedFunctionArn: context.invokedFunctionArn,
      memoryLimitInMB: context.memoryLimitInMB,
      awsRequestId: context.awsRequestId,
      logGroupName: context.logGroupName,
      logStreamName: context.logStreamName,
      callbackWaitsForEmptyEventLoop: context.callbackWaitsForEmptyEventLoop,
      deadline: Date.now() + remaining,
    };
    const id = (this.nextId += 1);
    return new Promise((resolve, reject) => {
      // Lambda ends a timed-out environment; so do we (the next invocation gets a new one).
      const timer = setTimeout(() => {
        this.fail(Object.assign(new Error(`Task timed out after ${(remaining / 1000).toFixed(2)} seconds`), { name: 'Sandbox.Timedout' }));
      }, remaining);
      this.pending = { id, resolve, reject, timer };
      const message: ToInstance = { kind: 'invoke', id, event, context: fields };
      this.worker.postMessage(message);
    });
  }

  async terminate(reason = new Error('The local stack is stopping')): Promise<void> {
    this.fail(reason);
    await this.worker.terminate();
  }

  private finish(): Pending {
    const pending = this.pending!;
    this.pending = undefined;
    clearTimeout(pending.timer);
    return pending;
  }

  private fail(err: Error): void {
    const wasAlive = this.alive;
    this.alive = false;
    if (wasAlive) void this.worker.terminate();
    this.settleReady?.reject(err);
    if (this.pending) this.finish().reject(err);
  }
}

function toError(serialized: SerializedError): Error {
  const err = new Error(serialized.message);
  err.name = serialized.name;
  if (serialized.stack) err.stack = serialized.stack;
  return err;
}
