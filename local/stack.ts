import os from 'node:os';
import path from 'node:path';
import { ensureWebhookSigningKeys } from '../lambdas/environments/environment-store';
import { EnvelopeCipher } from '../lambdas/platform/crypto/envelope-cipher';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { DataApi } from '../lambdas/platform/db/data-api';
import { migrate, type MigrationReport } from '../lambdas/platform/db/migrator';
import { buildConnectUi } from '../lib/connect-ui';
import { DEPLOY_FUNCTIONS, FUNCTIONS, ROUTES, SCHEDULES, EVENT_RULES, WEBSOCKET_ROUTES, type FunctionName } from '../lib/topology';
import { ApiGatewayServer, ConnectionsServer, WebSocketConnections, WebSocketFront, type ApiGatewayServerOptions } from './api-gateway';
import { requestLine } from './console-log';
import { DataApiServer } from './data-api';
import { functionEnvironment, lambdaEnvironment, localRolesBySecretArn, LOCAL_EVENT_BUS, LOCAL_KMS_ALIAS } from './environment';
import { EventBridgeServer } from './eventbridge';
import { KmsServer } from './kms';
import { invokeLocal, localFunction, type LambdaHandler } from './lambda-context';
import { LambdaInvokeServer } from './lambda-invoke';
import { FunctionPool } from './lambda-runtime';
import { startPostgres, type PostgresServer } from './postgres';
import { LocalScheduler } from './scheduler';

export interface LocalStackOptions {
  /** Folder for PostgreSQL's files and the KMS key store; reused on the next start. */
  dataDir: string;
  /** Use this PostgreSQL server instead of the embedded one. */
  databaseUrl?: string;
  database?: string;
  port?: number;
  host?: string;
  /** Arm the schedules' timers (tests fire them by hand instead). */
  runSchedules?: boolean;
  /** Data API stand-in tuning (tests shorten the transaction idle expiry). */
  transactionIdleTimeoutMs?: number;
  /** Instances per function at most (default LATCHKEY_LOCAL_MAX_INSTANCES, else one per CPU, at least 2; reserved concurrency lowers it). */
  maxInstances?: number;
  log?: (line: string) => void;
  /** Also log schedule runs that succeeded (failures are always logged). */
  logScheduleRuns?: boolean;
  /** Sees every well-formed answer of a function behind the API (tests check them against the declared responses). */
  onFunctionResponse?: ApiGatewayServerOptions['onFunctionResponse'];
  /**
   * Run the in-process lambda code as this function's database role (its own secret), as Aurora
   * would; default LATCHKEY_LOCAL_DB_ROLE, else the master user. The functions share one process
   * (one environment) here, so one role at a time: each test file picks the function it covers.
   */
  databaseRole?: FunctionName | 'bootstrap';
}

/** Functions with a database role of their own (all but migrate). */
const ROLE_FUNCTIONS = [...FUNCTIONS, ...DEPLOY_FUNCTIONS].filter((f) => !f.databaseMaster).map((f) => f.name);

const REPO_ROOT = path.resolve(__dirname, '..');
/** Instances are threads: past one per CPU they only contend with each other (and the stand-ins). */
const DEFAULT_MAX_INSTANCES = Math.max(2, os.availableParallelism());

/**
 * The whole deployment on one machine: PostgreSQL, the Data API, KMS and EventBridge stand-ins,
 * the API Gateway front and the scheduler, wired from lib/topology.ts exactly as the CDK stack is.
 * The lambdas find the stand-ins only through the SDK's standard endpoint variables.
 */
export class LocalStack {
  private constructor(
    readonly baseUrl: string,
    readonly postgres: PostgresServer,
    readonly dataApi: DataApiServer,
    readonly kms: KmsServer,
    readonly eventBridge: EventBridgeServer,
    readonly apiGateway: ApiGatewayServer,
    readonly scheduler: LocalScheduler,
    /** Each invokes its function through its pool, as a Lambda Invoke would. */
    readonly handlers: Record<FunctionName, LambdaHandler>,
    /** The functions' execution environments (tests observe instances here). */
    readonly pools: Record<FunctionName, FunctionPool>,
    readonly migrations: MigrationReport,
    readonly env: Record<string, string>,
    /** The WebSocket API's open sockets and its management API stand-in (LATCHKEY_WEBSOCKET_CALLBACK_URL). */
    readonly webSockets: WebSocketConnections,
    readonly connectionsApi: ConnectionsServer,
    /** Lambda's Invoke (AWS_ENDPOINT_URL_LAMBDA): the relay's $connect queues its ack through it. */
    readonly lambdaInvoke: LambdaInvokeServer,
  ) {}

  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const log = options.log ?? (() => {});
    // The connect function serves the Connect UI from files built as the stack's bundling builds them.
    const connectUiDir = path.join(options.dataDir, 'connect-ui');
    const connectUiBuilt = buildConnectUi(connectUiDir);
    connectUiBuilt.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    const database = options.database ?? 'latchkey';
    const postgres = await startPostgres({ dataDir: options.dataDir, database, externalUrl: options.databaseUrl, log });
    const dataApi = new DataApiServer({
      connectionString: postgres.url,
      transactionIdleTimeoutMs: options.transactionIdleTimeoutMs,
      rolesBySecretArn: localRolesBySecretArn(ROLE_FUNCTIONS),
    });
    const kms = new KmsServer({ stateFile: path.join(options.dataDir, 'kms-keys.json'), aliases: [LOCAL_KMS_ALIAS] });
    const eventBridge = new EventBridgeServer({ busName: LOCAL_EVENT_BUS });
    const webSockets = new WebSocketConnections();
    const connectionsApi = new ConnectionsServer(webSockets);
    // The pools exist only once the environment (with this stand-in's URL) does.
    const invokable: { handlers?: Record<FunctionName, LambdaHandler> } = {};
    const lambdaInvoke = new LambdaInvokeServer({ handlers: () => invokable.handlers ?? {}, onAsyncError: (fn, error) => log(`async invoke of ${fn} failed: ${error}`) });
    const [dataApiUrl, kmsUrl, eventBridgeUrl, connectionsUrl, lambdaUrl] = await Promise.all([
      dataApi.start(),
      kms.start(),
      eventBridge.start(),
      connectionsApi.start(),
      lambdaInvoke.start(),
    ]);

    // The callback URL carries the stage, as the deployed one does.
    const env = lambdaEnvironment({ dataApiUrl, kmsUrl, eventBridgeUrl, lambdaUrl, websocketCallbackUrl: `${connectionsUrl}/local`, database });
    await connectUiBuilt;
    env.LATCHKEY_CONNECT_UI_DIR = connectUiDir;
    const databaseRole = options.databaseRole ?? (process.env.LATCHKEY_LOCAL_DB_ROLE as LocalStackOptions['databaseRole']);
    if (databaseRole && !ROLE_FUNCTIONS.includes(databaseRole)) throw new Error(`No database role for function ${databaseRole}`);
    // stack.env keeps the master's secret: migrations and the tests' own set-up run as it.
    Object.assign(process.env, databaseRole ? functionEnvironment(env, databaseRole) : env);

    const master = new DataApi({ resourceArn: env.LATCHKEY_DB_CLUSTER_ARN, secretArn: env.LATCHKEY_DB_SECRET_ARN, database });
    const migrations = await migrate(master);
    // As the deploy's migrate task does after the SQL: each new environment's webhook signing key.
    await ensureWebhookSigningKeys(master, new EnvelopeCipher({ kms: createKmsClient(), keyId: env.LATCHKEY_KMS_KEY_ID }));
    const pools = functionPools(options.maxInstances ?? Number(process.env.LATCHKEY_LOCAL_MAX_INSTANCES ?? DEFAULT_MAX_INSTANCES));
    const handlers = Object.fromEntries(Object.entries(pools).map(([name, pool]) => [name, pool.handler])) as Record<FunctionName, LambdaHandler>;
    invokable.handlers = handlers;
    for (const rule of EVENT_RULES) {
      eventBridge.addRule({
        name: rule.name,
        pattern: rule.pattern,
        bus: LOCAL_EVENT_BUS,
        target: async (event) => {
          const outcome = await invokeLocal(handlers[rule.function], event, localFunction(rule.function));
          if (!outcome.ok) throw new Error(`${outcome.errorType}: ${outcome.errorMessage}`);
        },
      });
    }
    const apiGateway = new ApiGatewayServer({
      routes: ROUTES,
      handlers,
      onRequest: (r) => log(requestLine(r)),
      onFunctionResponse: options.onFunctionResponse,
      webSocket: new WebSocketFront({
        routes: WEBSOCKET_ROUTES,
        handlers,
        connections: webSockets,
        stage: 'local',
        onEvent: (e) => log(`WS ${e.route} ${e.connectionId} → ${e.status}`),
      }),
    });
    const scheduler = new LocalScheduler({
      schedules: SCHEDULES,
      handlers,
      onFire: (f) => (f.ok ? options.logScheduleRuns && log(`schedule ${f.schedule} ok (${f.durationMs} ms)`) : log(`schedule ${f.schedule} failed: ${f.error} (${f.durationMs} ms)`)),
    });
    const baseUrl = await apiGateway.start(options.port ?? 0, options.host ?? '127.0.0.1');
    // Where providers send the browser back (oauth/callback), known once the port is.
    env.LATCHKEY_PUBLIC_URL = baseUrl;
    process.env.LATCHKEY_PUBLIC_URL = baseUrl;
    if (options.runSchedules) scheduler.start();
    return new LocalStack(baseUrl, postgres, dataApi, kms, eventBridge, apiGateway, scheduler, handlers, pools, migrations, env, webSockets, connectionsApi, lambdaInvoke);
  }

  /** Stops in reverse order, letting in-flight requests and sweeps finish first (not those still cold-starting). */
  async stop(): Promise<void> {
    for (const pool of Object.values(this.pools)) pool.drain();
    await this.scheduler.stop();
    await this.apiGateway.stop();
    await Promise.all([this.lambdaInvoke.stop(), this.connectionsApi.stop()]);
    await this.eventBridge.stop();
    // Instances end in the background: nothing runs in them any more, and waiting for their threads
    // to wind down would only hold up the database's stop.
    for (const pool of Object.values(this.pools)) void pool.stop();
    await Promise.all([this.kms.stop(), this.dataApi.stop()]);
    await this.postgres.stop();
  }
}

/** One pool per function, no instance yet: each starts on its function's first invocation. */
function functionPools(maxInstances: number): Record<FunctionName, FunctionPool> {
  const pools = FUNCTIONS.map((spec) => {
    const pool = new FunctionPool({
      fn: localFunction(spec.name),
      entry: path.join(REPO_ROOT, spec.entry),
      // Each function signs in to the database as its own role, as on Aurora: missing grants fail here.
      environment: () => functionEnvironment(process.env as Record<string, string>, spec.name),
      maxInstances: Math.min(maxInstances, spec.reservedConcurrency ?? Infinity),
    });
    return [spec.name, pool] as const;
  });
  return Object.fromEntries(pools) as Record<FunctionName, FunctionPool>;
}
