import { createLambdaContext, invokeLocal, localFunction, type LocalFunction } from '../../../local/lambda-context';
import { DEPLOY_FUNCTIONS, FUNCTIONS } from '../../../lib/topology';
import { slow } from '../../fixtures/behaviour-handlers';

describe('Lambda context and invoke semantics', () => {
  test('functions from lib/topology.ts get their memory and timeout; others Lambda defaults', () => {
    expect(localFunction('sweeps')).toEqual({ name: 'sweeps', functionName: 'latchkey-local-sweeps', memoryMb: 512, timeoutMs: 300_000 });
    expect(localFunction('other')).toEqual({ name: 'other', functionName: 'latchkey-local-other', memoryMb: 128, timeoutMs: 3_000 });
  });

  test('getRemainingTimeInMillis counts down from the timeout; legacy callbacks refuse', () => {
    const started = Date.now() - 1_000;
    const context = createLambdaContext(localFunction('api'), started);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(28_000);
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(29_000);
    expect(createLambdaContext(localFunction('api'), Date.now() - 60_000).getRemainingTimeInMillis()).toBe(0);
    expect(() => context.succeed('x')).toThrow('not supported');
    expect(() => context.done()).toThrow('not supported');
    expect(() => context.fail('x')).toThrow('not supported');
  });

  test('each context has its own awsRequestId', () => {
    const fn = localFunction('api');
    expect(createLambdaContext(fn).awsRequestId).not.toBe(createLambdaContext(fn).awsRequestId);
  });

  test('the event is a JSON copy; the result goes through JSON', async () => {
    const event = { when: new Date('2025-01-01T00:00:00Z'), nested: { a: 1 } };
    let seen: unknown;
    const outcome = await invokeLocal(
      async (e) => {
        seen = e;
        return { at: new Date('2025-01-02T00:00:00Z'), skip: undefined };
      },
      event,
      localFunction('api'),
    );
    expect(seen).toEqual({ when: '2025-01-01T00:00:00.000Z', nested: { a: 1 } });
    expect(outcome).toEqual({ ok: true, result: { at: '2025-01-02T00:00:00.000Z' } });
    expect(await invokeLocal(async () => undefined, {}, localFunction('api'))).toEqual({ ok: true, result: null });
  });

  test('a handler past the function timeout: Sandbox.Timedout', async () => {
    const fn: LocalFunction = { name: 't', functionName: 'latchkey-local-t', memoryMb: 128, timeoutMs: 30 };
    expect(await invokeLocal(slow(300), {}, fn)).toEqual({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.03 seconds' });
  });

  test('thrown errors, sync or async, and unserialisable results', async () => {
    const err = new RangeError('nope');
    expect(await invokeLocal(() => { throw err; }, {}, localFunction('api'))).toEqual({ ok: false, errorType: 'RangeError', errorMessage: 'nope', error: err });
    expect(await invokeLocal(async () => Promise.reject('plain'), {}, localFunction('api'))).toMatchObject({ ok: false, errorType: 'Error', errorMessage: 'plain' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(await invokeLocal(async () => circular, {}, localFunction('api'))).toMatchObject({ ok: false, errorType: 'Runtime.MarshalError' });
  });
});

test('every function of the topology, deploy-time ones included, runs locally with its own timeout and memory', () => {
  for (const spec of [...FUNCTIONS, ...DEPLOY_FUNCTIONS]) {
    expect(localFunction(spec.name)).toMatchObject({ timeoutMs: (spec.timeoutSeconds ?? 3) * 1000, memoryMb: spec.memoryMb ?? 128 });
  }
  expect(localFunction('migrate').timeoutMs).toBeGreaterThan(3_000);
});
