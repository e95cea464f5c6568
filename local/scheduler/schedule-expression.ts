/**
 * EventBridge Scheduler's recurring expressions, evaluated in UTC:
 * - `rate(value unit)`: unit minute|hour|day, singular exactly when value is 1 (AWS rejects
 *   `rate(1 minutes)` and `rate(5 minute)`); fires at anchor, anchor + period, ...
 * - `cron(Minutes Hours Day-of-month Month Day-of-week Year)` in AWS's 6-field syntax, not Unix
 *   cron: day-of-week is 1=SUN..7=SAT, exactly one of the two day fields is `?`, and the day fields
 *   take `L` (last day of month; alone in day-of-week: Saturday; `6L`: last Friday), `15W`
 *   (weekday nearest the 15th, within the month) and `6#3` (third Friday).
 * Written by hand: Unix-cron libraries disagree on day-of-week numbering and `?`.
 */

export type ScheduleExpression = RateExpression | CronExpression;

export interface RateExpression {
  kind: 'rate';
  text: string;
  periodMs: number;
}

type DaySpec =
  | { kind: 'days-of-month'; days: boolean[] } // index 1..31
  | { kind: 'last-day-of-month' }
  | { kind: 'nearest-weekday'; day: number }
  | { kind: 'days-of-week'; weekdays: boolean[] } // index 1..7 (1 = SUN)
  | { kind: 'last-weekday-of-month'; weekday: number }
  | { kind: 'nth-weekday'; weekday: number; nth: number };

export interface CronExpression {
  kind: 'cron';
  text: string;
  minutes: boolean[];
  hours: boolean[];
  day: DaySpec;
  months: boolean[]; // index 1..12
  years: boolean[]; // index year - MIN_YEAR
}

const MIN_YEAR = 1970;
const MAX_YEAR = 2199;
const MINUTE_MS = 60_000;
const UNIT_MS = { minute: MINUTE_MS, hour: 60 * MINUTE_MS, day: 24 * 60 * MINUTE_MS } as const;
const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldRule {
  label: string;
  min: number;
  max: number;
  names?: string[]; // names[i] is value min + i
  steps: boolean;
}

const FIELDS = {
  minutes: { label: 'Minutes', min: 0, max: 59, steps: true },
  hours: { label: 'Hours', min: 0, max: 23, steps: true },
  dayOfMonth: { label: 'Day-of-month', min: 1, max: 31, steps: true },
  month: { label: 'Month', min: 1, max: 12, names: MONTH_NAMES, steps: true },
  dayOfWeek: { label: 'Day-of-week', min: 1, max: 7, names: DAY_NAMES, steps: false },
  year: { label: 'Year', min: MIN_YEAR, max: MAX_YEAR, steps: true },
} satisfies Record<string, FieldRule>;

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
  if (cron) return parseCron(text, cron[1], fail);
  if (text.startsWith('at(')) return fail('one-time at() schedules are not supported by the local scheduler');
  return fail('expected rate(value unit) or cron(Minutes Hours Day-of-month Month Day-of-week Year)');
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

function parseCron(text: string, body: string, fail: (p: string) => never): CronExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) return fail(`cron() takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), got ${parts.length}`);
  const [min, hour, dom, month, dow, year] = parts.map((p) => p.toUpperCase());
  if ((dom === '?') === (dow === '?')) return fail('exactly one of Day-of-month and Day-of-week must be ?');
  return {
    kind: 'cron',
    text,
    minutes: parseField(min, FIELDS.minutes, fail),
    hours: parseField(hour, FIELDS.hours, fail),
    day: dow === '?' ? parseDayOfMonth(dom, fail) : parseDayOfWeek(dow, fail),
    months: parseField(month, FIELDS.month, fail),
    years: parseField(year, FIELDS.year, fail).slice(MIN_YEAR),
  };
}

function parseDayOfMonth(field: string, fail: (p: string) => never): DaySpec {
  if (field === 'L') return { kind: 'last-day-of-month' };
  const w = /^(\d+)W$/.exec(field);
  if (w) return { kind: 'nearest-weekday', day: parseValue(w[1], FIELDS.dayOfMonth, fail) };
  if (/[LW]/.test(field)) return fail(`Day-of-month "${field}": L and W stand alone (L, 15W)`);
  return { kind: 'days-of-month', days: parseField(field, FIELDS.dayOfMonth, fail) };
}

function parseDayOfWeek(field: string, fail: (p: string) => never): DaySpec {
  if (field === 'L') return { kind: 'days-of-week', weekdays: only(7, 7) }; // last day of the week: Saturday
  const last = /^(\w+)L$/.exec(field);
  if (last) return { kind: 'last-weekday-of-month', weekday: parseValue(last[1], FIELDS.dayOfWeek, fail) };
  const nth = /^(\w+)#(\d+)$/.exec(field);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) return fail(`Day-of-week "${field}": the # instance must be 1-5`);
    return { kind: 'nth-weekday', weekday: parseValue(nth[1], FIELDS.dayOfWeek, fail), nth: n };
  }
  if (/[L#]/.test(field)) return fail(`Day-of-week "${field}": L and # take one day only (6L, 6#3)`);
  return { kind: 'days-of-week', weekdays: parseField(field, FIELDS.dayOfWeek, fail) };
}

/** A list of `*`, `v`, `a-b`, with `/step` after `*`, `v` or `a-b`; result indexed by value. */
function parseField(field: string, rule: FieldRule, fail: (p: string) => never): boolean[] {
  const set = new Array<boolean>(rule.max + 1).fill(false);
  for (const item of field.split(',')) {
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') fail(`${rule.label} "${field}" has a malformed item "${item}"`);
    let step = 1;
    if (stepText !== undefined) {
      if (!rule.steps) fail(`${rule.label} does not take / increments`);
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`${rule.label} increment "${stepText}" must be a positive integer`);
      step = Number(stepText);
    }
    let from = rule.min;
    let to = rule.max;
    if (range !== '*') {
      const [a, b, more] = range.split('-');
      if (more !== undefined) fail(`${rule.label} "${field}" has a malformed range "${range}"`);
      from = parseValue(a, rule, fail);
      // `5/10` runs from 5 to the end of the field; a lone `5` is just 5.
      to = b !== undefined ? parseValue(b, rule, fail) : stepText !== undefined ? rule.max : from;
      if (from > to) fail(`${rule.label} range "${range}" runs backwards`);
    }
    for (let v = from; v <= to; v += step) set[v] = true;
  }
  return set;
}

function parseValue(text: string, rule: FieldRule, fail: (p: string) => never): number {
  const named = rule.names?.indexOf(text) ?? -1;
  if (named >= 0) return rule.min + named;
  if (!/^\d+$/.test(text)) fail(`${rule.label} value "${text}" is not a number${rule.names ? ` or ${rule.names[0]}-${rule.names.at(-1)}` : ''}`);
  const value = Number(text);
  if (value < rule.min || value > rule.max) fail(`${rule.label} value ${value} is out of range ${rule.min}-${rule.max}`);
  return value;
}

function only(value: number, max: number): boolean[] {
  const set = new Array<boolean>(max + 1).fill(false);
  set[value] = true;
  return set;
}

/**
 * The first fire time strictly after `after`. Rates count from `anchor` (the schedule's start;
 * defaults to `after`). Throws when a cron expression never fires again (e.g. 30 FEB, past years).
 */
export function nextFireTime(expression: ScheduleExpression, after: Date, anchor: Date = after): Date {
  if (expression.kind === 'rate') {
    const elapsed = after.getTime() - anchor.getTime();
    const periods = elapsed < 0 ? 0 : Math.floor(elapsed / expression.periodMs) + 1;
    return new Date(anchor.getTime() + periods * expression.periodMs);
  }
  return nextCronTime(expression, after);
}

function nextCronTime(cron: CronExpression, after: Date): Date {
  // Fire times are whole minutes; start at the first minute strictly after `after`.
  let t = new Date(Math.floor(after.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  for (;;) {
    const [y, mo, d, h, mi] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes()];
    if (y > MAX_YEAR) throw new Error(`Schedule expression "${cron.text}" has no fire time after ${after.toISOString()}`);
    if (y < MIN_YEAR || !cron.years[y - MIN_YEAR]) {
      t = utc(Math.max(y + 1, MIN_YEAR), 1, 1);
      continue;
    }
    if (!cron.months[mo]) {
      t = utc(y, mo + 1, 1);
      continue;
    }
    const day = firstFrom(matchingDays(cron.day, y, mo), d);
    if (day === undefined) {
      t = utc(y, mo + 1, 1);
      continue;
    }
    if (day !== d) {
      t = utc(y, mo, day);
      continue;
    }
    const hour = firstFrom(cron.hours, h);
    if (hour === undefined) {
      t = utc(y, mo, d + 1);
      continue;
    }
    if (hour !== h) {
      t = utc(y, mo, d, hour);
      continue;
    }
    const minute = firstFrom(cron.minutes, mi);
    if (minute === undefined) {
      t = utc(y, mo, d, h + 1);
      continue;
    }
    return utc(y, mo, d, h, minute);
  }
}

/** Days of `month` (1-12) the day spec selects, indexed 1..days-in-month. */
export function matchingDays(spec: DaySpec, year: number, month: number): boolean[] {
  const dim = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const weekdayOf = (day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1; // 1 = SUN
  const days = new Array<boolean>(dim + 1).fill(false);
  switch (spec.kind) {
    case 'days-of-month':
      for (let d = 1; d <= dim; d++) days[d] = spec.days[d];
      break;
    case 'last-day-of-month':
      days[dim] = true;
      break;
    case 'nearest-weekday': {
      if (spec.day > dim) break; // like a plain 31 in a 30-day month: no fire
      const wd = weekdayOf(spec.day);
      let d = spec.day;
      if (wd === 7) d = d === 1 ? 3 : d - 1; // Saturday: Friday before, unless that leaves the month
      if (wd === 1) d = d === dim ? d - 2 : d + 1; // Sunday: Monday after, unless that leaves the month
      days[d] = true;
      break;
    }
    case 'days-of-week':
      for (let d = 1; d <= dim; d++) days[d] = spec.weekdays[weekdayOf(d)];
      break;
    case 'last-weekday-of-month':
      days[dim - ((weekdayOf(dim) - spec.weekday + 7) % 7)] = true;
      break;
    case 'nth-weekday': {
      const d = 1 + ((spec.weekday - weekdayOf(1) + 7) % 7) + 7 * (spec.nth - 1);
      if (d <= dim) days[d] = true;
      break;
    }
  }
  return days;
}

function firstFrom(set: boolean[], from: number): number | undefined {
  for (let v = from; v < set.length; v++) if (set[v]) return v;
  return undefined;
}

/** Date.UTC with a 1-based month; overflowing parts roll over (day 32 → next month). */
function utc(year: number, month: number, day: number, hour = 0, minute = 0): Date {
  return new Date(Date.UTC(year, month - 1, day, hour, minute));
}
