import { nextFireTime, parseScheduleExpression } from '../../../local/scheduler/schedule-expression';

const next = (expression: string, after: string, anchor?: string) =>
  nextFireTime(parseScheduleExpression(expression), new Date(after), anchor ? new Date(anchor) : undefined).toISOString();

describe('parseScheduleExpression rejects what AWS rejects', () => {
  test.each([
    ['rate(0 minutes)', 'must be a positive integer'],
    ['rate(-1 minutes)', 'must be a positive integer'],
    ['rate(1.5 hours)', 'must be a positive integer'],
    ['rate(5 minute)', 'a rate above 1 takes the plural unit (minutes)'],
    ['rate(1 minutes)', 'a rate of 1 takes the singular unit (minute)'],
    ['rate(2 weeks)', 'must be minute(s), hour(s) or day(s)'],
    ['rate(minutes)', 'rate() takes "value unit"'],
    ['cron(0 10 * * ?)', 'takes 6 fields'],
    ['cron(0 10 * * * *)', 'exactly one of Day-of-month and Day-of-week must be ?'],
    ['cron(0 10 ? * ? *)', 'exactly one of Day-of-month and Day-of-week must be ?'],
    ['cron(60 10 * * ? *)', 'Minutes value 60 is out of range 0-59'],
    ['cron(0 24 * * ? *)', 'Hours value 24 is out of range 0-23'],
    ['cron(0 0 0 * ? *)', 'Day-of-month value 0 is out of range 1-31'],
    ['cron(0 0 32W * ? *)', 'Day-of-month value 32 is out of range 1-31'],
    ['cron(0 0 * 13 ? *)', 'Month value 13 is out of range 1-12'],
    ['cron(0 0 ? * 0 *)', 'Day-of-week value 0 is out of range 1-7'], // Unix Sunday is not AWS's
    ['cron(0 0 ? * 8 *)', 'Day-of-week value 8 is out of range 1-7'],
    ['cron(0 0 * * ? 1969)', 'Year value 1969 is out of range 1970-2199'],
    ['cron(0/0 * * * ? *)', 'Minutes increment "0" must be a positive integer'],
    ['cron(10-5 * * * ? *)', 'Minutes range "10-5" runs backwards'],
    ['cron(5- * * * ? *)', 'Minutes value "" is not a number'],
    ['cron(1/2/3 * * * ? *)', 'malformed item'],
    ['cron(, * * * ? *)', 'malformed item'],
    ['cron(0 0 ? * 1/2 *)', 'Day-of-week does not take / increments'],
    ['cron(0 0 ? * 6#6 *)', 'the # instance must be 1-5'],
    ['cron(0 0 ? * 6#1,2#2 *)', 'L and # take one day only'],
    ['cron(0 0 1,L * ? *)', 'L and W stand alone'],
    ['cron(0 0 LW * ? *)', 'L and W stand alone'],
    ['cron(0 0 ? * FOO *)', 'Day-of-week value "FOO" is not a number or SUN-SAT'],
    ['cron(0 0 * FOO ? *)', 'Month value "FOO" is not a number or JAN-DEC'],
    ['cron(0 L * * ? *)', 'Hours value "L" is not a number'],
    ['at(2025-01-01T00:00:00)', 'one-time at() schedules are not supported'],
    ['every 5 minutes', 'expected rate(value unit) or cron('],
    ['', 'expected rate(value unit) or cron('],
  ])('%s', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(`Invalid schedule expression "${expression}": `);
    expect(() => parseScheduleExpression(expression)).toThrow(message);
  });

  test.each(['rate(1 minute)', 'rate(1 hour)', 'rate(1 day)', 'rate(15 minutes)', 'rate(2 hours)', 'rate(7 days)', 'cron(0 18 ? * mon-fri *)', 'cron(0/5 8-17 ? * MON-FRI *)', 'cron(15 10 ? * 6L 2022-2023)'])(
    'accepts %s',
    (expression) => expect(() => parseScheduleExpression(expression)).not.toThrow(),
  );
});

describe('rate() next fire times, anchored to the start', () => {
  test.each([
    ['rate(15 minutes)', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00Z', '2025-01-01T00:15:00.000Z'],
    ['rate(15 minutes)', '2025-01-01T00:14:59.999Z', '2025-01-01T00:00:00Z', '2025-01-01T00:15:00.000Z'],
    ['rate(15 minutes)', '2025-01-01T00:15:00Z', '2025-01-01T00:00:00Z', '2025-01-01T00:30:00.000Z'],
    ['rate(15 minutes)', '2025-01-01T10:00:00Z', '2025-01-01T00:07:13Z', '2025-01-01T10:07:13.000Z'], // not aligned to the clock
    ['rate(15 minutes)', '2024-12-31T00:00:00Z', '2025-01-01T00:00:00Z', '2025-01-01T00:00:00.000Z'], // before the start: the start itself
    ['rate(1 hour)', '2025-01-01T05:30:00Z', '2025-01-01T00:00:00Z', '2025-01-01T06:00:00.000Z'],
    ['rate(2 days)', '2025-01-02T00:00:00Z', '2025-01-01T12:00:00Z', '2025-01-03T12:00:00.000Z'],
  ])('%s after %s (start %s) → %s', (expression, after, anchor, expected) => {
    expect(next(expression, after, anchor)).toBe(expected);
  });

  test('without an anchor a rate counts from `after`', () => {
    expect(next('rate(5 minutes)', '2025-01-01T00:00:30Z')).toBe('2025-01-01T00:05:30.000Z');
  });
});

describe('cron() next fire times (UTC)', () => {
  // 2025-01-01 is a Wednesday.
  test.each([
    ['cron(0 10 * * ? *)', '2025-01-01T09:59:59.999Z', '2025-01-01T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2025-01-01T10:00:00Z', '2025-01-02T10:00:00.000Z'], // strictly after
    ['cron(* * * * ? *)', '2025-01-01T00:00:30.500Z', '2025-01-01T00:01:00.000Z'],
    ['cron(0/15 * * * ? *)', '2025-01-01T00:07:00Z', '2025-01-01T00:15:00.000Z'],
    ['cron(0/15 * * * ? *)', '2025-01-01T00:45:30Z', '2025-01-01T01:00:00.000Z'],
    ['cron(*/20 * * * ? *)', '2025-01-01T00:41:00Z', '2025-01-01T01:00:00.000Z'],
    ['cron(5-40/10 * * * ? *)', '2025-01-01T00:36:00Z', '2025-01-01T01:05:00.000Z'],
    ['cron(1/10 * * * ? *)', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00.000Z'], // AWS's own example: 1, 11, 21, ...
    ['cron(0 9,17 * * ? *)', '2025-01-01T09:00:00Z', '2025-01-01T17:00:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2025-01-03T18:00:00Z', '2025-01-06T18:00:00.000Z'], // Friday → Monday
    ['cron(0 18 ? * 2-6 *)', '2025-01-03T18:00:00Z', '2025-01-06T18:00:00.000Z'], // the same in numbers: 2=MON..6=FRI
    ['cron(0 0 ? * SUN,SAT *)', '2025-01-01T00:00:00Z', '2025-01-04T00:00:00.000Z'],
    ['cron(0 0 ? * 1 *)', '2025-01-01T00:00:00Z', '2025-01-05T00:00:00.000Z'], // 1 = Sunday
    ['cron(0 0 ? * L *)', '2025-01-01T00:00:00Z', '2025-01-04T00:00:00.000Z'], // L alone: Saturday
    ['cron(0 8 1 * ? *)', '2025-01-15T00:00:00Z', '2025-02-01T08:00:00.000Z'],
    ['cron(0 0 31 * ? *)', '2025-02-01T00:00:00Z', '2025-03-31T00:00:00.000Z'], // skips short months
    ['cron(0 0 L * ? *)', '2025-02-10T00:00:00Z', '2025-02-28T00:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2024-02-10T00:00:00Z', '2024-02-29T00:00:00.000Z'], // leap year
    ['cron(0 9 15W * ? *)', '2025-02-01T00:00:00Z', '2025-02-14T09:00:00.000Z'], // 15th is a Saturday → Friday
    ['cron(0 9 15W * ? *)', '2025-06-01T00:00:00Z', '2025-06-16T09:00:00.000Z'], // 15th is a Sunday → Monday
    ['cron(0 9 15W * ? *)', '2025-01-01T00:00:00Z', '2025-01-15T09:00:00.000Z'], // a weekday: itself
    ['cron(0 9 1W * ? *)', '2025-01-31T00:00:00Z', '2025-02-03T09:00:00.000Z'], // 1st a Saturday: Monday 3rd, not the month before
    ['cron(0 9 31W * ? *)', '2025-08-01T00:00:00Z', '2025-08-29T09:00:00.000Z'], // 31st a Sunday: Friday 29th
    ['cron(0 9 31W * ? *)', '2025-09-01T00:00:00Z', '2025-10-31T09:00:00.000Z'], // no 31st in September
    ['cron(0 12 ? * 6#3 *)', '2025-01-01T00:00:00Z', '2025-01-17T12:00:00.000Z'], // third Friday
    ['cron(0 12 ? * MON#5 *)', '2025-01-01T00:00:00Z', '2025-03-31T12:00:00.000Z'], // first month with a fifth Monday
    ['cron(0 0 ? * 6L *)', '2025-01-01T00:00:00Z', '2025-01-31T00:00:00.000Z'], // last Friday
    ['cron(0 0 ? * FRIL *)', '2025-02-01T00:00:00Z', '2025-02-28T00:00:00.000Z'],
    ['cron(0 0 1 */3 ? *)', '2025-02-01T00:00:00Z', '2025-04-01T00:00:00.000Z'],
    ['cron(0 0 1 JAN,jul ? *)', '2025-02-01T00:00:00Z', '2025-07-01T00:00:00.000Z'],
    ['cron(30 2 29 FEB ? *)', '2025-01-01T00:00:00Z', '2028-02-29T02:30:00.000Z'],
    ['cron(59 23 31 12 ? *)', '2025-12-31T23:59:00Z', '2026-12-31T23:59:00.000Z'],
    ['cron(0 0 1 1 ? 2030)', '2025-06-01T00:00:00Z', '2030-01-01T00:00:00.000Z'],
    ['cron(0 0 1 1 ? 2026-2030/2)', '2026-06-01T00:00:00Z', '2028-01-01T00:00:00.000Z'],
    ['cron(0 0 * * ? *)', '1960-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
  ])('%s after %s → %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });

  test.each(['cron(0 0 1 1 ? 2020)', 'cron(0 0 30 2 ? *)', 'cron(0 0 ? 2 2#5 2026)'])('%s never fires again: a clear error', (expression) => {
    expect(() => next(expression, '2025-01-01T00:00:00Z')).toThrow(`Schedule expression "${expression}" has no fire time after 2025-01-01T00:00:00.000Z`);
  });
});
