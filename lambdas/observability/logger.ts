import { Logger } from '@aws-lambda-powertools/logger';

/** One structured JSON logger for every function; the function name comes from the Lambda context. */
export const logger = new Logger({ serviceName: 'latchkey' });
