import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GetConnectionCommand, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import type { RouteSpec, WebSocketRouteSpec } from '../../../lib/topology';
import { ApiGatewayServer, ConnectionsServer, WebSocketConnections, WebSocketFront } from '../../../local/api-gateway';
import type { LambdaHandler } from '../../../local/lambda-context';

/**
 * The local WebSocket API on the REST front's port, and its management API stand-in, driven by the
 * real `ws` client and the real `@aws-sdk/client-apigatewaymanagementapi`.
 */

const ROUTES: RouteSpec[] = [{ method: 'GET', path: '/health', function: 'api' }];
const WS_ROUTES: WebSocketRouteSpec[] = [
  { routeKey: '$connect', function: 'connect' },
  { routeKey: '$disconnect', function: 'connect' },
];

interface Seen {
  event: Record<string, any>;
  /** Whether the management API could reach the socket while $connect ran. */
  reachableDuringConnect?: boolean;
}

let server: ApiGatewayServer;
let connectionsApi: ConnectionsServer;
let url: string;
let management: ApiGatewayManagementApiClient;
const seen: Seen[] = [];
let connectStatus = 200;

beforeAll(async () => {
  const connections = new WebSocketConnections();
  connectionsApi = new ConnectionsServer(connections);
  const callbackUrl = `${await connectionsApi.start()}/local`;
  management = new ApiGatewayManagementApiClient({ endpoint: callbackUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const connect: LambdaHandler = async (event) => {
    const record: Seen = { event };
    seen.push(record);
    if (event.requestContext.eventType === 'CONNECT') {
      // As in AWS: until $connect returns, the socket is not open and a post is 410.
      record.reachableDuringConnect = await management
        .send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: Buffer.from('early') }))
        .then(() => true, (err: unknown) => !(err instanceof GoneException));
      return { statusCode: connectStatus };
    }
    return { statusCode: 200 };
  };
  server = new ApiGatewayServer({
    routes: ROUTES,
    handlers: { api: async () => ({ statusCode: 200, body: 'ok' }), connect },
    webSocket: new WebSocketFront({ routes: WS_ROUTES, handlers: { connect }, connections, stage: 'local' }),
  });
  url = (await server.start(0)).replace(/^http/, 'ws');
});

afterAll(async () => {
  await server.stop();
  await connectionsApi.stop();
});

beforeEach(() => {
  seen.length = 0;
  connectStatus = 200;
});

function open(path = '/?a=1'): Promise<{ socket: WebSocket; messages: string[] }> {
  const socket = new WebSocket(`${url}${path}`, { headers: { 'user-agent': 'relay-test' } });
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(data.toString()));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, messages }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i += 1) await new Promise((r) => setTimeout(r, 20));
  expect(check()).toBe(true);
};

test("$connect gets API Gateway's WebSocket event; the socket opens only after it returns, then posts reach it", async () => {
  const { socket, messages } = await open();
  const [{ event, reachableDuringConnect }] = seen;
  expect(reachableDuringConnect).toBe(false);
  expect(event.requestContext).toMatchObject({ routeKey: '$connect', eventType: 'CONNECT', messageDirection: 'IN', stage: 'local', identity: { userAgent: 'relay-test' } });
  expect(event.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  expect(event.queryStringParameters).toEqual({ a: '1' });
  const id = event.requestContext.connectionId as string;
  await management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('{"hello":1}') }));
  await until(() => messages.length === 1);
  expect(messages).toEqual(['{"hello":1}']);
  const info = await management.send(new GetConnectionCommand({ ConnectionId: id }));
  expect(info.Identity?.UserAgent).toBe('relay-test');
  // DELETE closes the socket, and $disconnect runs.
  const closed = new Promise((resolve) => socket.once('close', resolve));
  await management.send(new DeleteConnectionCommand({ ConnectionId: id }));
  await closed;
  await until(() => seen.some((s) => s.event.requestContext.eventType === 'DISCONNECT'));
  expect(seen.at(-1)!.event.requestContext).toMatchObject({ routeKey: '$disconnect', connectionId: id });
  await expect(management.send(new PostToConnectionCommand({ ConnectionId: id, Data: Buffer.from('x') }))).rejects.toBeInstanceOf(GoneException);
});

test('a $connect that answers non-2xx refuses the upgrade with its status', async () => {
  connectStatus = 401;
  await expect(open()).rejects.toThrow('refused 401');
});

test('only / upgrades; a message without a $default route gets API Gateway\'s "Forbidden"', async () => {
  await expect(open('/elsewhere')).rejects.toThrow('refused 403');
  const { socket, messages } = await open();
  socket.send('{"action":"x"}');
  await until(() => messages.length === 1);
  expect(JSON.parse(messages[0])).toMatchObject({ message: 'Forbidden' });
  socket.close();
});
