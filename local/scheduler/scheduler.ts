import { randomUUID } from 'node:crypto';
import type { ScheduleSpec } from '../../lib/topology';
import { invokeLocal, LOCAL_ACCOUNT_ID, localFunction, localRegion, type LambdaHandler, type LocalFunction } from '../lambda-context';
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from './schedule-expression';

export interface LocalSchedulerOptions {
  schedules: readonly ScheduleSpec[];
  handlers: Record<string, LambdaHandler>;
  /** Injected clock (tests). Default () => new Date(). */
  now?: () => Date;
  onFire?: (info: { schedule: string; at: Date; ok: boolean; error?: string; durationMs: number }) => void;
}

interface Entry {
  spec: ScheduleSpec;
  expression: ScheduleExpression;
  fn: LocalFunction;
  handler: LambdaHandler;
}

/** setTimeout's ceiling (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fires the stack's EventBridge Scheduler schedules against the in-process handlers. Like a
 * schedule created at start() without a StartDate, a rate schedule fires at once and then every
 * period; cron schedules fire on their UTC minutes. Overlapping runs are allowed, as at AWS.
 */
export class LocalScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly now: () => Date;
  private startedAt?: Date;

  constructor(private readonly options: LocalSchedulerOptions) {
    this.now = options.now ?? (() => new Date());
    for (const spec of options.schedules) {
      if (this.entries.has(spec.name)) throw new Error(`Duplicate schedule ${spec.name}`);
      const handler = options.handlers[spec.function];
      if (!handler) throw new Error(`No handler for function ${spec.function} (schedule ${spec.name})`);
      const expression = parseScheduleExpression(spec.expression);
      this.entries.set(spec.name, { spec, expression, fn: localFunction(spec.function), handler });
    }
  }

  start(): void {
    if (this.startedAt) throw new Error('LocalScheduler already started');
    const startedAt = this.now();
    this.startedAt = startedAt;
    for (const [name, entry] of this.entries) {
      // A rate schedule without StartDate "starts invoking the target immediately" (AWS docs).
      if (entry.expression.kind === 'rate') this.arm(name, startedAt);
      else this.armAfter(name, startedAt);
    }
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.startedAt = undefined;
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** Fires one schedule now (or "as of" `at`), exactly as EventBridge Scheduler would; returns the handler result. */
  async fire(name: string, at?: Date): Promise<unknown> {
    const entry = this.entry(name);
    const scheduledAt = at ?? this.now();
    const started = performance.now();
    const event = withContextAttributes(entry.spec.input, {
      '<aws.scheduler.scheduled-time>': scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      '<aws.scheduler.execution-id>': randomUUID(),
      '<aws.scheduler.schedule-arn>': `arn:aws:scheduler:${localRegion()}:${LOCAL_ACCOUNT_ID}:schedule/default/${name}`,
      '<aws.scheduler.attempt-number>': '1',
    });
    const invocation = invokeLocal(entry.handler, event, entry.fn);
    this.running.add(invocation);
    const outcome = await invocation.finally(() => this.running.delete(invocation));
    const durationMs = Math.round(performance.now() - started);
    const error = outcome.ok ? undefined : `${outcome.errorType}: ${outcome.errorMessage}`;
    try {
      this.options.onFire?.({ schedule: name, at: scheduledAt, ok: outcome.ok, ...(error ? { error } : {}), durationMs });
    } catch (err) {
      console.error(`local scheduler: onFire failed for ${name}:`, err);
    }
    if (!outcome.ok) throw outcome.error instanceof Error ? outcome.error : new Error(error);
    return outcome.result;
  }

  /** Next fire time of a schedule after `after` (rates count from start(), or from `after` before it). */
  nextFireTime(name: string, after: Date): Date {
    return nextFireTime(this.entry(name).expression, after, this.startedAt ?? after);
  }

  private arm(name: string, at: Date): void {
    const delay = Math.max(0, at.getTime() - this.now().getTime());
    this.timers.set(
      name,
      setTimeout(() => this.wake(name, at), Math.min(delay, MAX_TIMER_MS)),
    );
  }

  private wake(name: string, at: Date): void {
    this.timers.delete(name);
    const now = this.now();
    if (now < at) return this.arm(name, at); // chained long wait, or the timer ran a little early
    // Failures reach onFire; they must not escape the timer.
    void this.fire(name, at).catch(() => {});
    // From `now`, not `at`: after a sleep or a stall, missed fires are skipped, not replayed.
    this.armAfter(name, now);
  }

  private armAfter(name: string, after: Date): void {
    this.arm(name, this.nextFireTime(name, after));
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`Unknown schedule ${name}`);
    return entry;
  }
}

/** EventBridge Scheduler replaces its context-attribute keywords wherever they appear in Input. */
function withContextAttributes(input: unknown, values: Record<string, string>): unknown {
  if (typeof input === 'string') {
    return Object.entries(values).reduce((s, [keyword, value]) => s.replaceAll(keyword, value), input);
  }
  if (Array.isArray(input)) return input.map((v) => withContextAttributes(v, values));
  if (typeof input === 'object' && input !== null) {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, withContextAttributes(v, values)]));
  }
  return input;
}
