export { LocalScheduler, type LocalSchedulerOptions } from './scheduler';
