import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { AwsServiceError, createEndpointServer, listen, readBody, sendJson, sendRestJsonError } from '../aws-http';
import { invokeLocal, LAMBDA_PAYLOAD_LIMIT_BYTES, localFunction, type LambdaHandler } from '../lambda-context';

export interface LambdaInvokeServerOptions {
  /** Function name (`connect`) → its handler; looked up per call (the pools exist after this server starts). */
  handlers: () => Record<string, LambdaHandler>;
  /** Told of each asynchronous invocation that failed (Lambda would retry it twice, then drop it). */
  onAsyncError?: (fn: string, error: string) => void;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/**
 * Local stand-in for Lambda's Invoke (restJson1, `POST /2015-03-31/functions/{name}/invocations`),
 * reached by `@aws-sdk/client-lambda` through AWS_ENDPOINT_URL_LAMBDA. `Event` invocations answer
 * 202 and run after the answer, as Lambda's queue does; `RequestResponse` answers with the result.
 * Names: `latchkey-local-<fn>` (what `context.functionName` says locally), its ARN, or `<fn>`.
 */
export class LambdaInvokeServer {
  private server?: Server;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly options: LambdaInvokeServerOptions) {}

  start(port = 0, host = '127.0.0.1'): Promise<string> {
    this.server = createEndpointServer((req, res) => void this.handle(req, res));
    return listen(this.server, port, host);
  }

  /** Stops taking calls, then waits for the asynchronous invocations already queued. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.allSettled([...this.running]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const match = INVOKE_PATH.exec((req.url ?? '').split('?')[0]);
      if (req.method !== 'POST' || !match) throw new AwsServiceError('UnknownOperationException', 'Only Invoke is served here', 404);
      const name = this.functionName(decodeURIComponent(match[1]));
      const handler = this.options.handlers()[name];
      if (!handler) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${match[1]}`, 404);
      const body = await readBody(req, LAMBDA_PAYLOAD_LIMIT_BYTES);
      let event: unknown;
      try {
        event = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        throw new AwsServiceError('InvalidRequestContentException', 'Could not parse request body into json', 400);
      }
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (type === 'DryRun') return void res.writeHead(204).end();
      if (type === 'Event') {
        const run = invokeLocal(handler, event, localFunction(name)).then((outcome) => {
          if (!outcome.ok) this.options.onAsyncError?.(name, `${outcome.errorType}: ${outcome.errorMessage}`);
        });
        this.running.add(run);
        void run.finally(() => this.running.delete(run));
        return void res.writeHead(202, { 'x-amz-executed-version': '$LATEST' }).end();
      }
      const outcome = await invokeLocal(handler, event, localFunction(name));
      if (outcome.ok) return sendJson(res, 200, outcome.result, 'application/json', { 'x-amz-executed-version': '$LATEST' });
      sendJson(res, 200, { errorType: outcome.errorType, errorMessage: outcome.errorMessage }, 'application/json', { 'x-amz-function-error': 'Unhandled' });
    } catch (err) {
      sendRestJsonError(res, err instanceof AwsServiceError ? err : new AwsServiceError('ServiceException', 'Internal error', 500));
    }
  }

  /** `latchkey-local-connect`, `arn:aws:lambda:…:function:latchkey-local-connect[:qualifier]` or `connect` → `connect`. */
  private functionName(raw: string): string {
    const unqualified = raw.startsWith('arn:') ? raw.split(':')[6] ?? '' : raw;
    return unqualified.replace(/^latchkey-local-/, '');
  }
}
