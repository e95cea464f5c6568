import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { apiHandler } from '../../http/api-handler';
import { requestServices } from '../../http/request-services';
import { runInRequestScope } from '../../platform/observability/request-scope';
import { AckEvent, handleAck, handleWebSocketEvent, isWebSocketEvent } from './relay-handler';
import { CONNECT_ROUTES } from './routes';

const services = requestServices();
const rest = apiHandler(CONNECT_ROUTES, { services });

/**
 * Entry point of the `connect` function (lib/topology.ts): the end user's connect flows over REST,
 * and the browser relay (the WebSocket API's routes, and the ack it queues for itself).
 */
export async function handler(event: unknown, context: Context): Promise<APIGatewayProxyResult | void> {
  if (isWebSocketEvent(event)) return runInRequestScope(() => handleWebSocketEvent(event, context, services));
  const ack = AckEvent.safeParse(event);
  if (ack.success) return runInRequestScope(() => handleAck(ack.data, services));
  return rest(event as APIGatewayProxyEvent, context);
}
