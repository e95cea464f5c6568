/**
 * The EventBridge Scheduler expressions the stack uses (lib/topology.ts), evaluated in UTC:
 * - `rate(value unit)`: unit minute|hour|day, singular exactly when value is 1 (AWS rejects
 *   `rate(1 minutes)` and `rate(5 minute)`); fires at anchor, anchor + period, ...
 * - `cron(Minutes Hours * * ? *)`: every day, Minutes and Hours each `*`, a value or `start/step`
 *   (`*` as start: from 0). AWS's other cron forms (day fields, months, years, L, W, #) are refused
 *   with a clear error rather than half-supported: no schedule of the stack needs them.
 */

export type ScheduleExpression = RateExpression | DailyCronExpression;

export interface RateExpression {
  kind: 'rate';
  text: string;
  periodMs: number;
}

export interface DailyCronExpression {
  kind: 'cron';
  text: string;
  minutes: boolean[]; // index 0..59
  hours: boolean[]; // index 0..23
}

const MINUTE_MS = 60_000;
const UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS } as const;

export class ScheduleExpressionError extends Error {
  constructor(expression: string, problem: string) {
    super(`Invalid schedule expression "${expression}": ${problem}`);
    this.name = 'ScheduleExpressionError';
  }
}

export function parseScheduleExpression(text: string): ScheduleExpression {
  const fail = (problem: string): never => {
    throw new ScheduleExpressionError(text, problem);
  };
  const rate = /^rate\((.*)\)$/.exec(text);
  if (rate) return parseRate(text, rate[1], fail);
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) return parseDailyCron(text, cron[1], fail);
  return fail('expected rate(value unit) or cron(Minutes Hours * * ? *)');
}

function parseRate(text: string, body: string, fail: (p: string) => never): RateExpression {
  const m = /^(\S+) +(\S+)$/.exec(body.trim());
  if (!m) return fail('rate() takes "value unit", e.g. rate(5 minutes)');
  const [, valueText, unitText] = m;
  if (!/^\d+$/.test(valueText) || Number(valueText) < 1) return fail(`rate value "${valueText}" must be a positive integer`);
  const value = Number(valueText);
  const unit = /^(minute|hour|day)(s?)$/.exec(unitText);
  if (!unit) return fail(`rate unit "${unitText}" must be minute(s), hour(s) or day(s)`);
  if (value === 1 && unit[2]) return fail(`a rate of 1 takes the singular unit (${unit[1]})`);
  if (value > 1 && !unit[2]) return fail(`a rate above 1 takes the plural unit (${unit[1]}s)`);
  return { kind: 'rate', text, periodMs: value * UNIT_MS[unit[1] as keyof typeof UNIT_MS] };
}

function parseDailyCron(text: string, body: string, fail: (p: string) => never): DailyCronExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) return fail(`cron() takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${parts.length}`);
  const [minutes, hours, ...day] = parts;
  if (day.join(' ') !== '* * ? *') return fail('the local scheduler runs daily crons only: cron(Minutes Hours * * ? *)');
  return { kind: 'cron', text, minutes: parseField(minutes, 'Minutes', 59, fail), hours: parseField(hours, 'Hours', 23, fail) };
}

/** `*`, `v` or `start/step` (start `*` or a value); result indexed by value. */
function parseField(field: string, label: string, max: number, fail: (p: string) => never): boolean[] {
  const m = /^(\*|\d+)(?:\/(\d+))?$/.exec(field);
  if (!m) return fail(`${label} "${field}" must be *, a value or start/step`);
  const start = m[1] === '*' ? 0 : Number(m[1]);
  if (start > max) return fail(`${label} value ${start} is out of range 0-${max}`);
  const step = m[2] === undefined ? (m[1] === '*' ? 1 : max + 1) : Number(m[2]);
  if (step < 1) return fail(`${label} increment "${m[2]}" must be a positive integer`);
  const set = new Array<boolean>(max + 1).fill(false);
  for (let v = start; v <= max; v += step) set[v] = true;
  return set;
}

/**
 * The first fire time strictly after `after`. Rates count from `anchor` (the schedule's start;
 * defaults to `after`).
 */
export function nextFireTime(expression: ScheduleExpression, after: Date, anchor: Date = after): Date {
  if (expression.kind === 'rate') {
    const elapsed = after.getTime() - anchor.getTime();
    const periods = elapsed < 0 ? 0 : Math.floor(elapsed / expression.periodMs) + 1;
    return new Date(anchor.getTime() + periods * expression.periodMs);
  }
  // Fire times are whole minutes; every daily cron fires within the next 24 hours.
  const first = Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  for (let t = first; t < first + UNIT_MS.day; t += MINUTE_MS) {
    const at = new Date(t);
    if (expression.hours[at.getUTCHours()] && expression.minutes[at.getUTCMinutes()]) return at;
  }
  throw new Error(`Schedule expression "${expression.text}" selects no minute of the day`);
}
