import fc from 'fast-check';
import { nextFireTime, parseScheduleExpression } from '../../../local/scheduler/schedule-expression';

/**
 * Property tests: random valid AWS cron expressions, generated together with an independent
 * oracle (plain predicates over the generated parts, not the parser's output).
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface Field {
  text: string;
  has: (v: number) => boolean;
}
interface DayField {
  text: string;
  has: (date: Date) => boolean;
}

function field(min: number, max: number, opts: { names?: string[]; steps?: boolean } = {}): fc.Arbitrary<Field> {
  const value = fc.integer({ min, max });
  const show = (v: number, named: boolean) => (named && opts.names ? opts.names[v - min] : String(v));
  const options: fc.Arbitrary<Field>[] = [
    fc.constant({ text: '*', has: () => true }),
    fc.tuple(fc.uniqueArray(value, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([vs, named]) => ({
      text: vs.map((v) => show(v, named)).join(','),
      has: (v: number) => vs.includes(v),
    })),
    fc.tuple(value, value, fc.boolean()).map(([a, b, named]) => {
      const [lo, hi] = a <= b ? [a, b] : [b, a];
      return { text: `${show(lo, named)}-${show(hi, named)}`, has: (v: number) => v >= lo && v <= hi };
    }),
  ];
  if (opts.steps !== false) {
    options.push(
      fc.tuple(value, fc.integer({ min: 1, max: max - min + 1 })).map(([start, step]) => ({
        text: `${start}/${step}`,
        has: (v: number) => v >= start && (v - start) % step === 0,
      })),
      fc.tuple(value, value, fc.integer({ min: 1, max: 10 })).map(([a, b, step]) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        return { text: `${lo}-${hi}/${step}`, has: (v: number) => v >= lo && v <= hi && (v - lo) % step === 0 };
      }),
      fc.integer({ min: 1, max: max - min + 1 }).map((step) => ({ text: `*/${step}`, has: (v: number) => (v - min) % step === 0 })),
    );
  }
  return fc.oneof(...options);
}

const daysInMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
const weekday = (d: Date) => d.getUTCDay() + 1; // AWS: 1 = SUN .. 7 = SAT
const isWeekday = (y: number, m: number, day: number) => ![0, 6].includes(new Date(Date.UTC(y, m, day)).getUTCDay());

const dayOfMonth: fc.Arbitrary<DayField> = fc.oneof(
  field(1, 31).map((f) => ({ text: f.text, has: (d: Date) => f.has(d.getUTCDate()) })),
  fc.constant({ text: 'L', has: (d: Date) => d.getUTCDate() === daysInMonth(d) }),
  fc.integer({ min: 1, max: 31 }).map((n) => ({
    text: `${n}W`,
    // The weekday of the month closest to day n (never a tie); none when the month has no day n.
    has: (d: Date) => {
      const dim = daysInMonth(d);
      if (n > dim) return false;
      let best = 0;
      for (let c = 1; c <= dim; c++) {
        if (isWeekday(d.getUTCFullYear(), d.getUTCMonth(), c) && (best === 0 || Math.abs(c - n) < Math.abs(best - n))) best = c;
      }
      return d.getUTCDate() === best;
    },
  })),
);

const dayOfWeek: fc.Arbitrary<DayField> = fc.oneof(
  field(1, 7, { names: DAYS, steps: false }).map((f) => ({ text: f.text, has: (d: Date) => f.has(weekday(d)) })),
  fc.constant({ text: 'L', has: (d: Date) => weekday(d) === 7 }),
  fc.integer({ min: 1, max: 7 }).map((w) => ({ text: `${w}L`, has: (d: Date) => weekday(d) === w && d.getUTCDate() + 7 > daysInMonth(d) })),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })).map(([w, n]) => ({
    text: `${w}#${n}`,
    has: (d: Date) => weekday(d) === w && Math.ceil(d.getUTCDate() / 7) === n,
  })),
);

const year: fc.Arbitrary<Field> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ text: '*', has: () => true }) },
  fc.tuple(fc.integer({ min: 2020, max: 2040 }), fc.integer({ min: 0, max: 10 })).map(([from, span]) => ({
    text: `${from}-${from + span}`,
    has: (v: number) => v >= from && v <= from + span,
  })),
);

interface Cron {
  text: string;
  minute: Field;
  hour: Field;
  day: DayField;
  month: Field;
  year: Field;
}

const cron: fc.Arbitrary<Cron> = fc
  .record({
    minute: field(0, 59),
    hour: field(0, 23),
    day: fc.oneof(dayOfMonth.map((f) => ({ f, dom: f.text, dow: '?' })), dayOfWeek.map((f) => ({ f, dom: '?', dow: f.text }))),
    month: field(1, 12, { names: MONTHS }),
    year,
  })
  .map(({ minute, hour, day, month, year }) => ({
    text: `cron(${minute.text} ${hour.text} ${day.dom} ${month.text} ${day.dow} ${year.text})`,
    minute,
    hour,
    day: day.f,
    month,
    year,
  }));

const dayMatches = (c: Cron, d: Date) => c.year.has(d.getUTCFullYear()) && c.month.has(d.getUTCMonth() + 1) && c.day.has(d);
const matches = (c: Cron, t: Date) =>
  t.getUTCSeconds() === 0 && t.getUTCMilliseconds() === 0 && dayMatches(c, t) && c.hour.has(t.getUTCHours()) && c.minute.has(t.getUTCMinutes());

/** The first matching minute in (after, until), walking day by day with the oracle. */
function firstMatchBetween(c: Cron, after: Date, until: Date): Date | undefined {
  for (let day = Math.floor(after.getTime() / DAY) * DAY; day < until.getTime(); day += DAY) {
    if (!dayMatches(c, new Date(day))) continue;
    for (let h = 0; h < 24; h++) {
      if (!c.hour.has(h)) continue;
      for (let m = 0; m < 60; m++) {
        const t = day + h * 3_600_000 + m * MINUTE;
        if (c.minute.has(m) && t > after.getTime() && t < until.getTime()) return new Date(t);
      }
    }
  }
  return undefined;
}

const instant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true });

describe('cron next fire time, property-based', () => {
  test('next > after, it matches every field, and no matching minute lies strictly between', () => {
    fc.assert(
      fc.property(cron, instant, (c, after) => {
        let result: Date;
        try {
          result = nextFireTime(parseScheduleExpression(c.text), after);
        } catch (err) {
          // Only "never again" is allowed, and then the oracle must find nothing within 40 years.
          expect((err as Error).message).toContain('has no fire time');
          expect(firstMatchBetween(c, after, new Date(after.getTime() + 40 * 366 * DAY))).toBeUndefined();
          return;
        }
        expect(result.getTime()).toBeGreaterThan(after.getTime());
        expect(matches(c, result)).toBe(true);
        expect(firstMatchBetween(c, after, result)).toBeUndefined();
        // A bounded minute-by-minute brute force over the first two days, independent of the day walk.
        const end = Math.min(result.getTime(), after.getTime() + 2 * DAY);
        for (let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE; t < end; t += MINUTE) {
          if (matches(c, new Date(t))) throw new Error(`${c.text}: ${new Date(t).toISOString()} matches before ${result.toISOString()}`);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('every generated expression parses (the generator only makes valid AWS syntax)', () => {
    fc.assert(fc.property(cron, (c) => void parseScheduleExpression(c.text)), { numRuns: 500 });
  });
});

describe('rate next fire time, property-based', () => {
  test('next is the first anchor + k·period after `after`', () => {
    const rate = fc.oneof(
      fc.integer({ min: 1, max: 120 }).map((n) => [n === 1 ? 'rate(1 minute)' : `rate(${n} minutes)`, n * MINUTE] as const),
      fc.integer({ min: 1, max: 48 }).map((n) => [n === 1 ? 'rate(1 hour)' : `rate(${n} hours)`, n * 60 * MINUTE] as const),
      fc.integer({ min: 1, max: 30 }).map((n) => [n === 1 ? 'rate(1 day)' : `rate(${n} days)`, n * DAY] as const),
    );
    fc.assert(
      fc.property(rate, instant, instant, ([text, period], anchor, after) => {
        const result = nextFireTime(parseScheduleExpression(text), after, anchor).getTime();
        expect(result).toBeGreaterThan(after.getTime());
        expect(result).toBeGreaterThanOrEqual(anchor.getTime());
        expect((result - anchor.getTime()) % period).toBe(0);
        // The one before was not after `after` (or was before the anchor).
        expect(result - period <= after.getTime() || result - period < anchor.getTime()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
