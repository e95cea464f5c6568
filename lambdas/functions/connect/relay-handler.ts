import type { APIGatewayProxyResult, APIGatewayProxyWebsocketEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { acknowledgeRelayClient, closeRelayClient, openRelayClient } from '../../connect/browser-relay';
import type { RequestServices } from '../../http/request-services';
import { systemClock } from '../../platform/clock';
import { invokeAsync } from '../../platform/lambda/async-invoke';
import { logger } from '../../platform/observability/logger';

/**
 * The browser relay's side of the `connect` function (lib/topology.ts WEBSOCKET_ROUTES): the
 * WebSocket API's $connect and $disconnect, and the ack that $connect queues for itself.
 *
 * Why the ack is a second invocation: API Gateway opens the socket only once the $connect
 * integration has returned, and posts before that answer 410 Gone ("$connect and $disconnect
 * routes", API Gateway developer guide; AWS knowledge center "410 GoneException"). So $connect
 * records the socket, queues an asynchronous Invoke of this same function, and returns; that
 * invocation posts the ack, retrying briefly until the socket is open.
 */

/** The event $connect queues for the ack (never sent by a browser: only an IAM principal may invoke). */
export const AckEvent = z.object({ relay: z.literal('ack'), connectionId: z.string().min(1).max(128), wsClientId: z.uuid() });

export function isWebSocketEvent(event: unknown): event is APIGatewayProxyWebsocketEventV2 {
  const eventType = (event as { requestContext?: { eventType?: unknown } } | null)?.requestContext?.eventType;
  return typeof eventType === 'string' && ['CONNECT', 'DISCONNECT', 'MESSAGE'].includes(eventType);
}

export async function handleWebSocketEvent(event: APIGatewayProxyWebsocketEventV2, context: Context, services: RequestServices): Promise<APIGatewayProxyResult> {
  const { connectionId, eventType } = event.requestContext;
  if (eventType === 'CONNECT') {
    const wsClientId = await openRelayClient(services.db, connectionId, systemClock());
    try {
      await invokeAsync(context.functionName, { relay: 'ack', connectionId, wsClientId } satisfies z.input<typeof AckEvent>);
    } catch (err) {
      // No ack would ever come: refuse the socket rather than leave the SDK waiting.
      logger.error('relay: the ack could not be queued', { error: (err as Error).name });
      await closeRelayClient(services.db, connectionId);
      return { statusCode: 500, body: '' };
    }
    return { statusCode: 200, body: '' };
  }
  if (eventType === 'DISCONNECT') await closeRelayClient(services.db, connectionId);
  // The SDK sends nothing; anything a client sends is ignored.
  return { statusCode: 200, body: '' };
}

export async function handleAck(event: z.output<typeof AckEvent>, services: RequestServices): Promise<void> {
  const poster = services.sockets;
  if (!poster) throw new Error('relay: LATCHKEY_WEBSOCKET_CALLBACK_URL is not set');
  const outcome = await acknowledgeRelayClient(services.db, poster, event);
  if (outcome === 'gone') logger.info('relay: the socket closed before its ack');
}
