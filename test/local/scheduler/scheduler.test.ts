import type { Context } from 'aws-lambda';
import { SCHEDULES, type ScheduleSpec } from '../../../lib/topology';
import type { LambdaHandler } from '../../../local/lambda-context';
import { LocalScheduler, type LocalSchedulerOptions } from '../../../local/scheduler';
import { contextFields } from '../../fixtures/echo-handler';

type FireInfo = Parameters<NonNullable<LocalSchedulerOptions['onFire']>>[0];

const schedule = (name: string, expression: string, input: Record<string, unknown> = { sweep: name }): ScheduleSpec => ({
  name,
  expression,
  function: 'sweeps',
  input,
  description: 'test',
});

/** A handler recording each invocation (event, context fields, time); behaviour per call. */
function recorder(behave: (event: any, n: number) => Promise<unknown> = async () => ({ done: true })) {
  const calls: { event: any; context: ReturnType<typeof contextFields>; at: string }[] = [];
  const handler: LambdaHandler = async (event, context: Context) => {
    calls.push({ event, context: contextFields(context), at: new Date().toISOString() });
    return behave(event, calls.length);
  };
  return { handler, calls };
}

function scheduler(schedules: ScheduleSpec[], handler: LambdaHandler, extra: Partial<LocalSchedulerOptions> = {}) {
  const fires: FireInfo[] = [];
  const s = new LocalScheduler({ schedules, handlers: { sweeps: handler }, onFire: (i) => fires.push(i), ...extra });
  return { s, fires };
}

describe('LocalScheduler.fire', () => {
  test('the handler gets the input, context attributes filled in, and a sweeps Lambda context', async () => {
    const { handler, calls } = recorder(async () => ({ deleted: 3 }));
    const input = {
      sweep: 'expired-sessions',
      asOf: '<aws.scheduler.scheduled-time>',
      meta: {
        id: '<aws.scheduler.execution-id>',
        arn: '<aws.scheduler.schedule-arn>',
        attempt: '<aws.scheduler.attempt-number>',
        notes: ['ran at <aws.scheduler.scheduled-time>', 7, null, true],
      },
    };
    const { s, fires } = scheduler([schedule('expired-sessions', 'rate(15 minutes)', input)], handler);
    const result = await s.fire('expired-sessions', new Date('2025-03-01T12:15:00.000Z'));
    expect(result).toEqual({ deleted: 3 });
    expect(calls[0].event).toEqual({
      sweep: 'expired-sessions',
      asOf: '2025-03-01T12:15:00Z',
      meta: {
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        arn: expect.stringMatching(/^arn:aws:scheduler:[a-z0-9-]+:000000000000:schedule\/default\/expired-sessions$/),
        attempt: '1',
        notes: ['ran at 2025-03-01T12:15:00Z', 7, null, true],
      },
    });
    expect(input.asOf).toBe('<aws.scheduler.scheduled-time>'); // the spec itself is untouched
    expect(calls[0].context).toMatchObject({
      functionName: 'latchkey-local-sweeps',
      functionVersion: '$LATEST',
      memoryLimitInMB: '512',
      logGroupName: '/aws/lambda/latchkey-local-sweeps',
    });
    expect(calls[0].context.remainingTimeInMillis).toBeGreaterThan(295_000);
    expect(fires).toEqual([{ schedule: 'expired-sessions', at: new Date('2025-03-01T12:15:00.000Z'), ok: true, durationMs: expect.any(Number) }]);
  });

  test('each fire gets a new execution id; without `at` the scheduled time is now', async () => {
    const { handler, calls } = recorder();
    const now = new Date('2025-05-05T05:05:05.555Z');
    const { s } = scheduler([schedule('x', 'rate(1 hour)', { id: '<aws.scheduler.execution-id>', t: '<aws.scheduler.scheduled-time>' })], handler, { now: () => now });
    await s.fire('x');
    await s.fire('x');
    expect(calls[0].event.id).not.toBe(calls[1].event.id);
    expect(calls[0].event.t).toBe('2025-05-05T05:05:05Z');
  });

  test('a failing handler: fire() rejects with its error, onFire reports it', async () => {
    const { s, fires } = scheduler([schedule('x', 'rate(1 hour)')], async () => {
      throw new RangeError('db down');
    });
    await expect(s.fire('x', new Date('2025-01-01T00:00:00Z'))).rejects.toThrow(new RangeError('db down'));
    expect(fires).toEqual([{ schedule: 'x', at: new Date('2025-01-01T00:00:00Z'), ok: false, error: 'RangeError: db down', durationMs: expect.any(Number) }]);
  });

  test('unknown schedules and bad definitions fail clearly', async () => {
    const ok = recorder().handler;
    await expect(scheduler([schedule('x', 'rate(1 hour)')], ok).s.fire('nope')).rejects.toThrow('Unknown schedule nope');
    expect(() => scheduler([schedule('x', 'rate(5 minute)')], ok)).toThrow('Invalid schedule expression "rate(5 minute)"');
    expect(() => scheduler([schedule('x', 'rate(1 hour)'), schedule('x', 'rate(2 hours)')], ok)).toThrow('Duplicate schedule x');
    expect(() => new LocalScheduler({ schedules: [schedule('x', 'rate(1 hour)')], handlers: {} })).toThrow('No handler for function sweeps (schedule x)');
    expect(() => scheduler([schedule('x', 'rate(1 hour)')], ok).s.nextFireTime('nope', new Date())).toThrow('Unknown schedule nope');
  });

  test('the stack schedules load', async () => {
    const { handler, calls } = recorder();
    const s = new LocalScheduler({ schedules: SCHEDULES, handlers: { sweeps: handler, webhooks: handler } });
    await s.fire('expired-sessions');
    expect(calls[0].event).toMatchObject({ sweep: 'expired-sessions' });
    expect(JSON.stringify(calls[0].event)).not.toContain('<aws.scheduler.'); // every keyword filled in
    await s.fire('webhooks-redrive', new Date('2030-01-01T00:00:00Z'));
    expect(calls[1].event).toEqual({ redrive: true, scheduledTime: '2030-01-01T00:00:00Z' });
  });
});

describe('LocalScheduler timers', () => {
  const START = new Date('2025-01-01T00:00:30.000Z');
  beforeEach(() => jest.useFakeTimers({ now: START, doNotFake: ['nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  const minutes = (n: number) => n * 60_000;

  test('a rate schedule fires at start, then every period from the start', async () => {
    const { handler, calls } = recorder();
    const { s, fires } = scheduler([schedule('sweep', 'rate(15 minutes)')], handler);
    s.start();
    expect(s.nextFireTime('sweep', START)).toEqual(new Date('2025-01-01T00:15:30.000Z'));
    await jest.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.at)).toEqual(['2025-01-01T00:00:30.000Z']);
    await jest.advanceTimersByTimeAsync(minutes(15) - 1);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(minutes(30) + 1);
    expect(calls.map((c) => c.at)).toEqual(['2025-01-01T00:00:30.000Z', '2025-01-01T00:15:30.000Z', '2025-01-01T00:30:30.000Z', '2025-01-01T00:45:30.000Z']);
    expect(fires.map((f) => f.at.toISOString())).toEqual(calls.map((c) => c.at));
    await s.stop();
  });

  test('a cron schedule fires on its UTC minutes, with the scheduled time in the input', async () => {
    const { handler, calls } = recorder();
    const { s } = scheduler([schedule('quarter', 'cron(0/15 * * * ? *)', { at: '<aws.scheduler.scheduled-time>' })], handler);
    s.start();
    await jest.advanceTimersByTimeAsync(minutes(40));
    expect(calls.map((c) => c.event.at)).toEqual(['2025-01-01T00:15:00Z', '2025-01-01T00:30:00Z']);
    await s.stop();
  });

  test('a failing fire is reported and the schedule keeps firing', async () => {
    const { handler, calls } = recorder(async (_e, n) => {
      if (n === 1) throw new Error('first one fails');
      return 'ok';
    });
    const { s, fires } = scheduler([schedule('m', 'rate(1 minute)')], handler);
    s.start();
    await jest.advanceTimersByTimeAsync(minutes(2));
    expect(calls).toHaveLength(3);
    expect(fires.map((f) => [f.ok, f.error])).toEqual([[false, 'Error: first one fails'], [true, undefined], [true, undefined]]);
    await s.stop();
  });

  test('overlapping fires of one schedule run side by side; stop() waits for all of them', async () => {
    let active = 0;
    let peak = 0;
    const { handler } = recorder(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((resolve) => setTimeout(resolve, minutes(2.5)));
      active--;
    });
    const { s, fires } = scheduler([schedule('m', 'cron(* * * * ? *)')], handler);
    s.start();
    await jest.advanceTimersByTimeAsync(minutes(3));
    expect(peak).toBeGreaterThanOrEqual(2);
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await jest.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    expect(jest.getTimerCount()).toBeGreaterThan(0); // only the handlers' own sleeps
    await jest.advanceTimersByTimeAsync(minutes(3));
    await stopping;
    expect(stopped).toBe(true);
    expect(active).toBe(0);
    expect(fires.every((f) => f.ok)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('stop() clears the timers; nothing fires afterwards; start() again re-anchors', async () => {
    const { handler, calls } = recorder();
    const { s } = scheduler([schedule('r', 'rate(1 hour)'), schedule('c', 'cron(0 12 * * ? *)')], handler);
    s.start();
    expect(() => s.start()).toThrow('already started');
    await jest.advanceTimersByTimeAsync(0);
    expect(jest.getTimerCount()).toBe(2);
    await s.stop();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(minutes(24 * 60));
    expect(calls).toHaveLength(1); // the rate's fire at start
    s.start();
    expect(s.nextFireTime('r', new Date())).toEqual(new Date(Date.now() + minutes(60)));
    await s.stop();
  });

  test('waits longer than setTimeout allows are chained', async () => {
    const { handler, calls } = recorder();
    const { s } = scheduler([schedule('monthly', 'rate(30 days)', { at: '<aws.scheduler.scheduled-time>' })], handler);
    s.start();
    await jest.advanceTimersByTimeAsync(minutes(60 * 24 * 29));
    expect(calls.map((c) => c.event.at)).toEqual(['2025-01-01T00:00:30Z']); // the fire at start
    await jest.advanceTimersByTimeAsync(minutes(60 * 24 * 2));
    expect(calls.map((c) => c.event.at)).toEqual(['2025-01-01T00:00:30Z', '2025-01-31T00:00:30Z']);
    await s.stop();
  });

  test('before start(), rates count from the instant asked about', () => {
    const { s } = scheduler([schedule('r', 'rate(2 hours)')], recorder().handler);
    expect(s.nextFireTime('r', new Date('2025-01-01T01:00:00Z'))).toEqual(new Date('2025-01-01T03:00:00Z'));
  });
});
