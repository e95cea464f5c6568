/**
 * One api Lambda "instance" in its own process (run with `node --import tsx`): the api handler
 * behind its own local API Gateway front on an ephemeral port, with the environment the parent
 * passes (the parent's local stack). Its own module state (refresh coordinator, caches, Data API
 * client), exactly as a separate Lambda container would have. Prints
 * `LATCHKEY_INSTANCE {"url": …}` when listening; exits when its stdin closes.
 */
import { ROUTES } from '../../../lib/topology';
import { ApiGatewayServer } from '../../../local/api-gateway';

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../../lambdas/functions/api/handler') as { handler: never };
  const server = new ApiGatewayServer({ routes: ROUTES.filter((r) => r.function === 'api'), handlers: { api: handler } });
  const url = await server.start(0, '127.0.0.1');
  process.stdout.write(`LATCHKEY_INSTANCE ${JSON.stringify({ url, pid: process.pid })}\n`);
  process.stdin.on('end', () => void server.stop().finally(() => process.exit(0)));
  process.stdin.resume();
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
