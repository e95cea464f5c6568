import type { InvocationRecord } from '../../local/lambda-runtime';
import { startTestStack, type TestStack } from '../support/local-stack';

interface LogLine {
  message: string;
  function_request_id?: string;
  correlation_id?: string;
  kmsCalls?: number;
}

/** The stack's functions run as Lambda runs them: one invocation at a time per instance. */
describe('local stack: concurrent invocations of one function', () => {
  let t: TestStack;
  const parsedLines = () => t.logLines().map((l) => JSON.parse(l) as LogLine);

  beforeAll(async () => {
    t = await startTestStack();
  });
  afterAll(() => t.stop());

  const burst = async (count: number) => {
    const responses = await Promise.all(Array.from({ length: count }, () => t.api('/connections')));
    expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    return responses.map((r) => r.headers.get('x-amzn-requestid')!);
  };

  test("each log line carries its own invocation's request ids", async () => {
    const requestIds = await burst(12);
    const lines = parsedLines().filter((l) => l.correlation_id && requestIds.includes(l.correlation_id));
    const requestLines = lines.filter((l) => l.message === 'request');
    // One access line per request, each under a Lambda request id of its own.
    expect(requestLines.map((l) => l.correlation_id).sort()).toEqual([...requestIds].sort());
    expect(new Set(requestLines.map((l) => l.function_request_id)).size).toBe(requestIds.length);
    // No line of one invocation is labelled with another's API Gateway request id.
    const byInvocation = new Map<string, Set<string>>();
    for (const line of lines) byInvocation.set(line.function_request_id!, (byInvocation.get(line.function_request_id!) ?? new Set()).add(line.correlation_id!));
    for (const correlationIds of byInvocation.values()) expect(correlationIds.size).toBe(1);
  });

  test('the pool scales out under a burst, never runs two invocations on one instance, and reuses warm instances', async () => {
    const pool = t.stack.pools.api;
    const records: InvocationRecord[] = [];
    const record = (r: InvocationRecord) => records.push(r);
    pool.on('invocation', record);
    try {
      await burst(12);
      const instances = new Set(records.map((r) => r.instanceId));
      expect(instances.size).toBeGreaterThan(1);
      expect(pool.stats()).toMatchObject({ instances: instances.size, busy: 0, queued: 0 });
      for (const id of instances) {
        const mine = records.filter((r) => r.instanceId === id).sort((a, b) => a.startedAt - b.startedAt);
        for (let i = 1; i < mine.length; i += 1) expect(mine[i].startedAt).toBeGreaterThanOrEqual(mine[i - 1].endedAt);
      }

      // Warm: no new instance, and each instance's caches (the secret key's verification) are kept.
      const created = pool.stats().created;
      records.length = 0;
      t.stack.kms.control.resetStats();
      const warmIds: string[] = [];
      for (let i = 0; i < 5; i += 1) warmIds.push(...(await burst(1)));
      expect(pool.stats().created).toBe(created);
      expect(records.map((r) => r.coldStart)).toEqual([false, false, false, false, false]);
      expect(t.stack.kms.control.stats().calls).toEqual({});
      const warmLines = parsedLines().filter((l) => l.message === 'request' && warmIds.includes(l.correlation_id ?? ''));
      expect(warmLines.map((l) => l.kmsCalls)).toEqual([0, 0, 0, 0, 0]);
    } finally {
      pool.off('invocation', record);
    }
  });
});
