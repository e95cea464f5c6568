import path from 'node:path';
import { createLambdaContext, invokeLocal, localFunction } from '../../../local/lambda-context';
import { FunctionPool, type InvocationRecord } from '../../../local/lambda-runtime';
import type { ProbeEvent } from '../../fixtures/instance-probe-handler';

const PROBE = path.join(__dirname, '../../fixtures/instance-probe-handler.ts');

interface ProbeResult {
  instanceId: string;
  maxInFlight: number;
  served: number;
  logStreamName: string;
  probeValue: string | null;
}

describe('FunctionPool: one invocation at a time per instance, instances on demand', () => {
  const env: NodeJS.ProcessEnv = { ...process.env, PROBE_VALUE: 'first' };
  // Lambda's default 3 s would count a cold start on a loaded machine; the timeout test sets its own.
  const fn = { ...localFunction('probe'), timeoutMs: 30_000 };
  let pool: FunctionPool;
  const records: InvocationRecord[] = [];
  const invoke = async (event: ProbeEvent, context = createLambdaContext(fn)) => {
    const outcome = await invokeLocal(pool.handler, event, fn, context);
    if (!outcome.ok) throw Object.assign(new Error(outcome.errorMessage), { name: outcome.errorType });
    return outcome.result as ProbeResult;
  };

  // The probe prints a line per invocation; kept off the test output, read by one test.
  const written: string[] = [];
  const originalWrite = process.stdout.write.bind(process.stdout);

  beforeAll(() => {
    process.stdout.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stdout.write;
    pool = new FunctionPool({ fn: { ...fn, timeoutMs: 20_000 }, entry: PROBE, maxInstances: 3, environment: () => env });
    pool.on('invocation', (r) => records.push(r));
  });
  afterAll(async () => {
    process.stdout.write = originalWrite;
    await pool.stop();
  });

  test('starts no instance until the first invocation', () => {
    expect(pool.stats()).toEqual({ instances: 0, busy: 0, queued: 0, created: 0 });
  });

  test('concurrent invocations scale out to the bound, then queue; no instance runs two at once', async () => {
    const results = await Promise.all(Array.from({ length: 9 }, () => invoke({ waitMs: 150 })));
    expect(results.every((r) => r.maxInFlight === 1)).toBe(true);
    const instances = new Set(results.map((r) => r.instanceId));
    expect(instances.size).toBe(3);
    expect(pool.stats()).toEqual({ instances: 3, busy: 0, queued: 0, created: 3 });
    // Each instance has its own log stream, as each execution environment does in CloudWatch.
    expect(new Set(results.map((r) => r.logStreamName)).size).toBe(3);
    // The pool's own view agrees: per instance, invocations never overlap.
    for (const id of new Set(records.map((r) => r.instanceId))) {
      const mine = records.filter((r) => r.instanceId === id).sort((a, b) => a.startedAt - b.startedAt);
      for (let i = 1; i < mine.length; i += 1) expect(mine[i].startedAt).toBeGreaterThanOrEqual(mine[i - 1].endedAt);
    }
    expect(records.filter((r) => r.coldStart)).toHaveLength(3);
  });

  test('sequential invocations reuse a warm instance', async () => {
    const before = pool.stats().created;
    records.length = 0;
    for (let i = 0; i < 3; i += 1) await invoke({});
    expect(pool.stats().created).toBe(before);
    expect(records.map((r) => r.coldStart)).toEqual([false, false, false]);
  });

  test("an instance's output reaches stdout before its result, tagged with its own request", async () => {
    written.length = 0;
    const contexts = Array.from({ length: 4 }, () => createLambdaContext(fn));
    const results = await Promise.all(contexts.map((c) => invoke({ waitMs: 50 }, c)));
    const lines = written.join('').split('\n').filter((l) => l.startsWith('{"probe"')).map((l) => JSON.parse(l) as { probe: string; awsRequestId: string });
    contexts.forEach((c, i) => expect(lines).toContainEqual({ probe: results[i].instanceId, awsRequestId: c.awsRequestId }));
  });

  test('an error thrown by the handler reaches the caller by name and message; the instance stays warm', async () => {
    const created = pool.stats().created;
    await expect(invoke({ fail: 'bad input' })).rejects.toMatchObject({ name: 'TypeError', message: 'bad input' });
    await invoke({});
    expect(pool.stats().created).toBe(created);
  });

  test('a timed-out invocation ends its instance; the next invocation gets a fresh one', async () => {
    const created = pool.stats().created;
    const context = createLambdaContext({ ...fn, timeoutMs: 300 });
    const outcome = await invokeLocal(pool.handler, { waitMs: 10_000 }, { ...fn, timeoutMs: 300 }, context);
    expect(outcome).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pool.stats()).toMatchObject({ instances: 2, busy: 0 });
    await Promise.all([invoke({ waitMs: 50 }), invoke({ waitMs: 50 }), invoke({ waitMs: 50 })]);
    expect(pool.stats()).toMatchObject({ instances: 3, created: created + 1 });
  });

  test('a changed environment replaces the instances, as a configuration update does', async () => {
    env.PROBE_VALUE = 'second';
    const result = await invoke({});
    expect(result.probeValue).toBe('second');
    expect(result.served).toBe(1);
  });

  test('a module that fails to load fails the invocation and leaves no instance behind', async () => {
    const broken = new FunctionPool({ fn, entry: path.join(__dirname, 'no-such-module.ts'), maxInstances: 1 });
    try {
      const outcome = await invokeLocal(broken.handler, {}, fn);
      expect(outcome).toMatchObject({ ok: false, errorMessage: expect.stringContaining('no-such-module') });
      expect(broken.stats()).toMatchObject({ instances: 0, busy: 0 });
    } finally {
      await broken.stop();
    }
  });
});
