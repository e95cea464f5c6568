export { LambdaInvokeServer, type LambdaInvokeServerOptions } from './server';
