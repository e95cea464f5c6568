/**
 * What the deployment is made of, as plain data: the Lambda functions, the REST routes that reach
 * them, the schedules that invoke them and the event rules that route to them. The CDK stack
 * deploys exactly this, and `npm start` (local/) serves exactly this, so the two cannot drift.
 * No aws-cdk-lib imports here: local/ and lambdas/ tooling read this file too.
 */

export const FUNCTION_NAMES = ['api', 'sweeps'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * What a function may ask KMS to do, by encryption-context purpose (DESIGN.md "Encryption"). The
 * stack turns this into IAM conditions on `kms:EncryptionContext:purpose`, so a function can only
 * unwrap the data keys of the purposes listed here.
 */
export const KMS_PURPOSES = [
  'connection-credentials',
  'integration-secret',
  'environment-secret',
  'oauth-session',
  'record-payload',
  /** The deployment-wide pepper of secret-key hashes; context {environment:'deployment', purpose}. */
  'secret-hash-pepper',
] as const;
export type KmsPurpose = (typeof KMS_PURPOSES)[number];

export interface KmsUse {
  /** Purposes whose data keys the function may unwrap (`kms:Decrypt`). */
  decrypt?: readonly KmsPurpose[];
  /** Purposes for which the function may create data keys (`kms:GenerateDataKey`). */
  generateDataKey?: readonly KmsPurpose[];
}

export interface FunctionSpec {
  name: FunctionName;
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** KMS permissions, by purpose; none when absent. */
  kms?: KmsUse;
  /** May put events on the stack's bus (the outbox relay). */
  publishesEvents?: boolean;
  /** Caps concurrent executions, to bound the load this function puts on the database. */
  reservedConcurrency?: number;
  /** Files copied beside the bundle, e.g. SQL read at run time; paths relative to the repository root / the bundle. */
  copyFiles?: readonly { from: string; to: string }[];
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'ANY';

/** A REST API (API Gateway v1) resource and method, in API Gateway's own path syntax. */
export interface RouteSpec {
  method: HttpMethod;
  /** `/health`, `/connections/{connectionId}`, `/proxy/{proxy+}`. */
  path: string;
  function: FunctionName;
}

/** An EventBridge Scheduler schedule; `expression` is `rate(...)` or `cron(...)` in AWS syntax (UTC). */
export interface ScheduleSpec {
  name: string;
  expression: string;
  function: FunctionName;
  /** The event the target receives. */
  input: Record<string, unknown>;
  description: string;
  /** Counts the sweep publishes (namespace `Latchkey`), shown on the dashboard. */
  metrics?: readonly string[];
}

/** An EventBridge rule on the stack's bus. */
export interface EventRuleSpec {
  name: string;
  pattern: Record<string, unknown>;
  function: FunctionName;
}

/** A WebSocket API (API Gateway v2) route: `$connect`, `$disconnect`, `$default` or a custom key. */
export interface WebSocketRouteSpec {
  routeKey: string;
  function: FunctionName;
}

/** Source of every event Latchkey puts on its bus. */
export const EVENT_SOURCE = 'latchkey';

export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'api',
    entry: 'lambdas/functions/api/handler.ts',
    description: 'Secret-key REST API: health, integrations, connect sessions, connections',
    // Data API statements may take up to 45 s; API Gateway gives up at 29 s anyway.
    timeoutSeconds: 30,
    memoryMb: 1024,
    // Serves every secret-key route, so it seals and unseals every kind of secret.
    kms: { decrypt: KMS_PURPOSES, generateDataKey: KMS_PURPOSES },
    publishesEvents: true,
  },
  {
    name: 'sweeps',
    entry: 'lambdas/functions/sweeps/handler.ts',
    description: 'Scheduled retention, deletion and expiry sweeps',
    timeoutSeconds: 300,
    memoryMb: 512,
    // The proactive-refresh sweep re-seals connection credentials with the integration's client secret.
    kms: { decrypt: ['connection-credentials', 'integration-secret'], generateDataKey: ['connection-credentials'] },
    publishesEvents: true,
    // Sweeps are batch deletes: two at a time keep them from crowding out API traffic on the database.
    reservedConcurrency: 2,
  },
];

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', function: 'api' },
  { method: 'ANY', path: '/{proxy+}', function: 'api' },
];

export const SCHEDULES: readonly ScheduleSpec[] = [
  {
    name: 'expired-sessions',
    expression: 'rate(15 minutes)',
    function: 'sweeps',
    input: { sweep: 'expired-sessions', scheduledTime: '<aws.scheduler.scheduled-time>' },
    description: 'Deletes expired connect sessions and OAuth sessions',
    metrics: ['oauthSessionsDeleted', 'connectSessionsDeleted'],
  },
  {
    name: 'audit-retention',
    expression: 'cron(30 3 * * ? *)',
    function: 'sweeps',
    input: { sweep: 'audit-retention', scheduledTime: '<aws.scheduler.scheduled-time>' },
    description: 'Deletes audit events older than the retention period (LATCHKEY_AUDIT_RETENTION_DAYS, default 365)',
    metrics: ['auditEventsDeleted'],
  },
];

export const EVENT_RULES: readonly EventRuleSpec[] = [];

/** The browser relay of the Connect UI; deployed as a WebSocket API once a function serves it. */
export const WEBSOCKET_ROUTES: readonly WebSocketRouteSpec[] = [];

/** Where the Connect UI is served (REST), reported as a stack output once a route serves it. */
export const CONNECT_UI_PATH = '/connect';

/**
 * Functions CloudFormation runs at deploy time (custom resources), bundled like the others but
 * not served by `npm start`: the migration runner and the first secret keys.
 */
export interface DeployFunctionSpec extends Omit<FunctionSpec, 'name'> {
  name: DeployFunctionName;
}
export type DeployFunctionName = 'migrate' | 'bootstrap';

export const DEPLOY_FUNCTIONS: readonly DeployFunctionSpec[] = [
  {
    name: 'migrate',
    entry: 'lambdas/functions/migrate/handler.ts',
    description: 'Applies pending database migrations on deploy (CloudFormation custom resource)',
    // Room for a resuming cluster plus several 45 s statements.
    timeoutSeconds: 600,
    memoryMb: 512,
    copyFiles: [{ from: 'lambdas/db/migrations', to: 'migrations' }],
  },
  {
    name: 'bootstrap',
    entry: 'lambdas/functions/bootstrap/handler.ts',
    description: 'Creates the first secret keys on deploy and stores them in Secrets Manager',
    timeoutSeconds: 300,
    memoryMb: 256,
    // Creates the pepper if no request has yet, then hashes the keys with it.
    kms: { decrypt: ['secret-hash-pepper'], generateDataKey: ['secret-hash-pepper'] },
  },
];

/**
 * Names of the metrics functions publish (namespace `Latchkey`, dimension `service=latchkey`),
 * read by the dashboard and alarms. Code that emits one of these must use the name from here.
 */
export const METRIC_NAMES = {
  refreshSucceeded: 'CredentialRefreshSucceeded',
  refreshFailed: 'CredentialRefreshFailed',
  webhookDelivered: 'WebhookDelivered',
  webhookFailed: 'WebhookFailed',
} as const;

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (!spec) throw new Error(`Unknown function ${name}`);
  return spec;
}
