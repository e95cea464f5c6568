import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';

let client: LambdaClient | undefined;

/**
 * Queues an asynchronous invocation (`InvocationType: 'Event'`) of `functionName` with `payload`:
 * Lambda answers 202 once the event is queued, and runs it after the caller has returned.
 */
export async function invokeAsync(functionName: string, payload: object): Promise<void> {
  client ??= new LambdaClient({ maxAttempts: 2, requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true }) });
  await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
}
