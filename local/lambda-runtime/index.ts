export { FunctionPool, type InvocationRecord } from './function-pool';
