export { FunctionPool, type FunctionPoolOptions, type InvocationRecord, type PoolStats } from './function-pool';
