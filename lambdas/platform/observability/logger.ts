import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { involvesDatabase, withoutDatabaseText } from './log-errors';

/**
 * Database errors are logged without their text (log-errors.ts), as an attribute (`{ error }`)
 * or as the message itself (`logger.error(err)`, whose message would be the database's text).
 */
class SafeLogger extends Logger {
  constructor(options: ConstructorOptions = {}) {
    super({ ...options, jsonReplacerFn: withoutDatabaseText });
  }

  protected override processLogItem(...[level, input, extra]: Parameters<Logger['processLogItem']>): void {
    if (input instanceof Error && involvesDatabase(input)) return super.processLogItem(level, `${input.name} (text withheld)`, [{ error: input }]);
    return super.processLogItem(level, input, extra);
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new SafeLogger(options);
  }
}

/** One structured JSON logger for every function; the function name comes from the Lambda context. */
export const logger: Logger = new SafeLogger({ serviceName: 'latchkey' });
