import fc from 'fast-check';
import { nextFireTime, parseScheduleExpression } from '../../../local/scheduler/schedule-expression';

/**
 * Property tests: random valid daily cron and rate expressions, generated together with an
 * independent oracle (plain predicates over the generated parts, not the parser's output).
 */

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface Field {
  text: string;
  has: (v: number) => boolean;
}

function field(max: number): fc.Arbitrary<Field> {
  const value = fc.integer({ min: 0, max });
  return fc.oneof(
    fc.constant({ text: '*', has: () => true }),
    value.map((v) => ({ text: String(v), has: (x: number) => x === v })),
    fc.tuple(value, fc.integer({ min: 1, max: max + 1 })).map(([start, step]) => ({
      text: `${start}/${step}`,
      has: (x: number) => x >= start && (x - start) % step === 0,
    })),
    fc.integer({ min: 1, max: max + 1 }).map((step) => ({ text: `*/${step}`, has: (x: number) => x % step === 0 })),
  );
}

const cron = fc.record({ minute: field(59), hour: field(23) }).map((c) => ({ ...c, text: `cron(${c.minute.text} ${c.hour.text} * * ? *)` }));
type Cron = typeof cron extends fc.Arbitrary<infer T> ? T : never;

const matches = (c: Cron, t: Date) => t.getUTCSeconds() === 0 && t.getUTCMilliseconds() === 0 && c.hour.has(t.getUTCHours()) && c.minute.has(t.getUTCMinutes());

const instant = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-12-31T23:59:59Z'), noInvalidDate: true });

describe('daily cron next fire time, property-based', () => {
  test('next > after, within a day, it matches, and no matching minute lies strictly between', () => {
    fc.assert(
      fc.property(cron, instant, (c, after) => {
        const result = nextFireTime(parseScheduleExpression(c.text), after);
        expect(result.getTime()).toBeGreaterThan(after.getTime());
        expect(result.getTime() - after.getTime()).toBeLessThanOrEqual(DAY);
        expect(matches(c, result)).toBe(true);
        for (let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE; t < result.getTime(); t += MINUTE) {
          if (matches(c, new Date(t))) throw new Error(`${c.text}: ${new Date(t).toISOString()} matches before ${result.toISOString()}`);
        }
      }),
      { numRuns: 200 },
    );
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
