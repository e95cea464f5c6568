export { KmsServer, type KmsServerOptions } from './server';
