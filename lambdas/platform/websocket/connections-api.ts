import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/**
 * Posts to browser WebSockets through API Gateway's management API (`POST @connections/{id}`) at
 * the stage's callback URL; `npm start` points the same variable at its stand-in.
 */
export interface SocketPoster {
  /** `gone`: the connection no longer exists, or is not established yet (410 GoneException). */
  post(connectionId: string, message: object): Promise<'sent' | 'gone'>;
}

/** Undefined when no WebSocket API is deployed (the relay is then off). */
export function managementApi(callbackUrl: string | undefined): SocketPoster | undefined {
  if (!callbackUrl) return undefined;
  // Short timeouts: a post is one small frame, and a request waits for it.
  const client = new ApiGatewayManagementApiClient({
    endpoint: callbackUrl,
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ connectionTimeout: 1_000, requestTimeout: 3_000, throwOnRequestTimeout: true }),
  });
  return {
    async post(connectionId, message) {
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(message)) }));
        return 'sent';
      } catch (err) {
        if (err instanceof GoneException) return 'gone';
        throw err;
      }
    },
  };
}
