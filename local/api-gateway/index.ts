export { ApiGatewayServer, type ApiGatewayServerOptions, type FunctionResponse } from './server';
export { RouteTable, type RouteMatch } from './route-table';
export { buildProxyEvent, isBinaryContentType, LOCAL_API_ID, type IncomingRequest } from './proxy-event';
export { toHttpResponse, type HttpResponse } from './proxy-result';
export type { LambdaHandler } from '../lambda-context';
export { ConnectionsServer } from './connections-server';
export { WebSocketConnections } from './websocket-connections';
export { WebSocketFront, type WebSocketFrontOptions } from './websocket-front';
