export { LocalScheduler, type LocalSchedulerOptions } from './scheduler';
export {
  matchingDays,
  nextFireTime,
  parseScheduleExpression,
  ScheduleExpressionError,
  type CronExpression,
  type RateExpression,
  type ScheduleExpression,
} from './schedule-expression';
export type { LambdaHandler } from '../lambda-context';
