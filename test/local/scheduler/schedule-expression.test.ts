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
    ['cron(0 10 * * * *)', 'daily crons only: cron(Minutes Hours * * ? *)'],
    ['cron(0 18 ? * MON-FRI *)', 'daily crons only'],
    ['cron(0 8 1 * ? *)', 'daily crons only'],
    ['cron(0 0 * * ? 2030)', 'daily crons only'],
    ['cron(60 10 * * ? *)', 'Minutes value 60 is out of range 0-59'],
    ['cron(0 24 * * ? *)', 'Hours value 24 is out of range 0-23'],
    ['cron(0/0 * * * ? *)', 'Minutes increment "0" must be a positive integer'],
    ['cron(5-10 * * * ? *)', 'Minutes "5-10" must be *, a value or start/step'],
    ['cron(0 9,17 * * ? *)', 'Hours "9,17" must be *, a value or start/step'],
    ['cron(0 L * * ? *)', 'Hours "L" must be *, a value or start/step'],
    ['at(2025-01-01T00:00:00)', 'expected rate(value unit) or cron(Minutes Hours * * ? *)'],
    ['every 5 minutes', 'expected rate(value unit) or cron('],
    ['', 'expected rate(value unit) or cron('],
  ])('%s', (expression, message) => {
    expect(() => parseScheduleExpression(expression)).toThrow(`Invalid schedule expression "${expression}": `);
    expect(() => parseScheduleExpression(expression)).toThrow(message);
  });

  test.each(['rate(1 minute)', 'rate(1 hour)', 'rate(1 day)', 'rate(15 minutes)', 'rate(2 hours)', 'rate(7 days)', 'cron(30 3 * * ? *)', 'cron(*/5 * * * ? *)', 'cron(0/15 8 * * ? *)'])(
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

describe('daily cron() next fire times (UTC)', () => {
  test.each([
    ['cron(0 10 * * ? *)', '2025-01-01T09:59:59.999Z', '2025-01-01T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2025-01-01T10:00:00Z', '2025-01-02T10:00:00.000Z'], // strictly after
    ['cron(30 3 * * ? *)', '2025-12-31T04:00:00Z', '2026-01-01T03:30:00.000Z'], // over the year's end
    ['cron(* * * * ? *)', '2025-01-01T00:00:30.500Z', '2025-01-01T00:01:00.000Z'],
    ['cron(0/15 * * * ? *)', '2025-01-01T00:07:00Z', '2025-01-01T00:15:00.000Z'],
    ['cron(0/15 * * * ? *)', '2025-01-01T00:45:30Z', '2025-01-01T01:00:00.000Z'],
    ['cron(*/20 * * * ? *)', '2025-01-01T00:41:00Z', '2025-01-01T01:00:00.000Z'],
    ['cron(1/10 * * * ? *)', '2025-01-01T00:00:00Z', '2025-01-01T00:01:00.000Z'], // AWS's own example: 1, 11, 21, ...
    ['cron(5 */6 * * ? *)', '2025-01-01T06:05:00Z', '2025-01-01T12:05:00.000Z'],
    ['cron(59 23 * * ? *)', '2025-02-28T23:59:00Z', '2025-03-01T23:59:00.000Z'],
  ])('%s after %s → %s', (expression, after, expected) => {
    expect(next(expression, after)).toBe(expected);
  });
});
