import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApiServer } from '../../local/data-api';
import { DataApi } from '../../lambdas/platform/db/data-api';
import type { RetryPolicy } from '../../lambdas/platform/db/retry';
import { createTestDatabase, type TestDatabase } from './databases';

export interface DataApiFixture {
  server: DataApiServer;
  db: DataApi;
  database: TestDatabase;
  stop(): Promise<void>;
}

export const FAST_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 5 };

/** A Data API stand-in over a fresh database, and the lambdas' access layer pointed at it. */
export async function startDataApi(options: { retry?: RetryPolicy; transactionIdleTimeoutMs?: number } = {}): Promise<DataApiFixture> {
  const database = await createTestDatabase();
  const server = new DataApiServer({ connectionString: database.url, transactionIdleTimeoutMs: options.transactionIdleTimeoutMs });
  const endpoint = await server.start();
  const client = new RDSDataClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const db = new DataApi(
    { resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:test', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:test', database: database.name },
    client,
    options.retry ?? FAST_RETRY,
  );
  return {
    server,
    db,
    database,
    stop: async () => {
      client.destroy();
      await server.stop();
      await database.drop();
    },
  };
}
