export { LambdaInvokeServer } from './server';
