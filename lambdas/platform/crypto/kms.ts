import { KMSClient } from '@aws-sdk/client-kms';
import { currentRequestScope } from '../observability/request-scope';

/**
 * The KMS client every function uses. Each call is counted in the request scope, because KMS calls
 * are a cost we benchmark (warm requests should make none). Throttling and 5xx are retried by the
 * SDK's standard strategy; five attempts ride out a short burst.
 */
export function createKmsClient(): KMSClient {
  const client = new KMSClient({ maxAttempts: 5 });
  client.middlewareStack.add(
    (next) => async (args) => {
      const scope = currentRequestScope();
      if (scope) scope.kmsCalls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'latchkeyKmsCallCounter' },
  );
  return client;
}
