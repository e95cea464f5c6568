/**
 * What the deployment is made of, as plain data: the Lambda functions, the REST routes that reach
 * them, the schedules that invoke them and the event rules that route to them. The CDK stack
 * deploys exactly this, and `npm start` (local/) serves exactly this, so the two cannot drift.
 * No aws-cdk-lib imports here: local/ and lambdas/ tooling read this file too.
 */

export const FUNCTION_NAMES = ['api', 'connect', 'proxy', 'sweeps', 'webhooks'] as const;

/** The database role function `name` signs in as (migration 0009 creates it): `sweeps` → `latchkey_sweeps`. */
export function functionRoleName(name: string): string {
  return `latchkey_${name.replace(/-/g, '_')}`;
}
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * What a function may ask KMS to do, by encryption-context purpose (docs/design.md "Encryption"). The
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
  /** Files built beside the bundle by a bin/ script run with tsx (given the output folder), e.g. the Connect UI. */
  builtFiles?: readonly { script: string; to: string }[];
  /** Runs SQL as the master user (migrations alone); every other function has a role of its own, `latchkey_<name>` (migration 0009). */
  databaseMaster?: boolean;
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
    name: 'connect',
    entry: 'lambdas/functions/connect/handler.ts',
    description: "End users' connect flows: OAuth2 authorize and callback, client credentials, API key and basic auth",
    // The callback waits on the provider's token endpoint (10 s deadline) besides the database.
    timeoutSeconds: 30,
    memoryMb: 512,
    kms: {
      // Seals new connection credentials and the OAuth session's verifier; opens only the
      // integration's client secret and its own OAuth sessions, never stored connection credentials.
      decrypt: ['integration-secret', 'oauth-session', 'secret-hash-pepper'],
      generateDataKey: ['connection-credentials', 'oauth-session'],
    },
    publishesEvents: true,
    // Serves the Connect UI (lambdas/functions/connect/ui-routes.ts) from these files.
    builtFiles: [{ script: 'bin/build-connect-ui.ts', to: 'connect-ui' }],
  },
  {
    name: 'proxy',
    entry: 'lambdas/functions/proxy/handler.ts',
    description: "Nango's proxy: calls a provider's API with a connection's credentials injected, from the egress IPs",
    // API Gateway gives up at 29 s; retries and backoff stay inside PROXY_BUDGET_MS (lambdas/proxy/proxy-limits.ts).
    timeoutSeconds: 30,
    // Up to two bodies of a few MB each (request and response) and their base64 copies.
    memoryMb: 1024,
    // Injects stored credentials and renews due ones (a refresh re-seals them with the integration's client).
    kms: { decrypt: ['connection-credentials', 'integration-secret', 'secret-hash-pepper'], generateDataKey: ['connection-credentials'] },
    // A failed renewal's `auth` webhook, written by the refresh's statement.
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
    // No reserved concurrency by default (latchkey:sweepsReservedConcurrency): reserving any needs 100
    // unreserved executions left in the account. Overlap stays small without it: each schedule
    // starts one run, runs are staggered, and every sweep is safe to run twice at once.
  },
  {
    name: 'webhooks',
    entry: 'lambdas/functions/webhooks/handler.ts',
    description: 'Delivers signed webhooks from the outbox: on each published event, and a re-drive of what is due',
    // A batch is at most ~70 s (10 s per request, 16 at once); deliveries are leased for 3 minutes.
    timeoutSeconds: 120,
    memoryMb: 512,
    // Reads the environment's webhook signing key; nothing else.
    kms: { decrypt: ['environment-secret'] },
  },
];

/** The REST API's binary media types: all of them, so bodies of any type pass untouched (the proxy). */
export const BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];

/** Where the Connect UI is served (REST, the connect function), reported as a stack output. */
export const CONNECT_UI_PATH = '/connect';

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/health', function: 'api' },
  { method: 'ANY', path: '/{proxy+}', function: 'api' },
  // Nango's proxy: its own function, so its outbound calls and their credentials stay out of the api function.
  { method: 'ANY', path: '/proxy/{proxy+}', function: 'proxy' },
  // The end user's side: authenticated by a connect session token in the query, or by the OAuth state.
  { method: 'GET', path: '/oauth/connect/{providerConfigKey}', function: 'connect' },
  { method: 'GET', path: '/oauth/callback', function: 'connect' },
  // The Connect UI (connect_link, openConnectUI's iframe) and the integrations' logos.
  { method: 'GET', path: CONNECT_UI_PATH, function: 'connect' },
  { method: 'GET', path: `${CONNECT_UI_PATH}/assets/{file}`, function: 'connect' },
  { method: 'GET', path: '/images/template-logos/{file}', function: 'connect' },
  // A resource with its own methods does not fall back to /{proxy+}: the browser's CORS
  // preflight of the SDK's JSON POSTs needs its OPTIONS method here.
  ...['/oauth2/auth/{providerConfigKey}', '/api-auth/api-key/{providerConfigKey}', '/api-auth/basic/{providerConfigKey}'].flatMap((path) => [
    { method: 'POST' as const, path, function: 'connect' as const },
    { method: 'OPTIONS' as const, path, function: 'connect' as const },
  ]),
];

/** A sweeps-function schedule whose input names the sweep and passes the scheduled time as "now". */
function sweep(name: string, expression: string, description: string, metrics: readonly string[]): ScheduleSpec {
  return { name, expression, function: 'sweeps', input: { sweep: name, scheduledTime: '<aws.scheduler.scheduled-time>' }, description, metrics };
}

/**
 * Frequent sweeps run on cron offsets, not rate(): rate schedules created in one deploy all fire on
 * the same minute and contend for the database. The daily ones are 15+ minutes apart.
 */
export const SCHEDULES: readonly ScheduleSpec[] = [
  sweep('expired-sessions', 'cron(1/15 * * * ? *)', 'Deletes expired connect sessions, OAuth sessions and browser relay sockets', ['oauthSessionsDeleted', 'connectSessionsDeleted', 'websocketClientsDeleted']),
  sweep('audit-retention', 'cron(30 3 * * ? *)', 'Deletes audit events older than the retention period (LATCHKEY_AUDIT_RETENTION_DAYS, default 365)', ['auditEventsDeleted']),
  sweep('prune-records', 'cron(0 4 * * ? *)', 'Drops the payloads of records not updated for 30 days (keeps id, hash and metadata)', ['recordsPruned', 'pruneBudgetExhausted']),
  sweep('stale-syncs', 'cron(30 4 * * ? *)', 'Deletes every record of syncs not executed for 60 days (the sync stays and starts fresh)', ['staleSyncsReset', 'staleSyncRecordsDeleted', 'staleSyncsBudgetExhausted']),
  sweep('orphans', 'cron(0 5 * * ? *)', 'Retires connections of deleted integrations and hard-deletes integrations past retention', ['orphanConnectionsRetired', 'integrationsHardDeleted', 'orphansBudgetExhausted']),
  // Frequent: a purge the API could not finish within its request is completed by the next run.
  sweep('deleted-connections', 'cron(8/15 * * * ? *)', "Hard-deletes soft-deleted connections past their environment's retention (default 31 days) and purged ones", ['connectionsHardDeleted', 'connectionRecordsDeleted', 'endUsersDeleted', 'deletedConnectionsBudgetExhausted']),
  sweep('end-users', 'cron(45 5 * * ? *)', 'Deletes end users (personal data) that no connection and no unexpired connect session uses', ['unusedEndUsersDeleted']),
  sweep('webhook-retention', 'cron(15 5 * * ? *)', 'Deletes webhook events, their deliveries and attempt logs 30 days old once nothing is pending (LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS)', ['webhookEventsDeleted']),
  // Shorter than the 15-minute refresh window, so a token is refreshed before reads need it.
  sweep('proactive-refresh', 'cron(3/5 * * * ? *)', 'Refreshes OAuth tokens about to expire, and once a day those of idle connections and tokens without an expiry', ['refreshCandidates', 'refreshesSucceeded', 'refreshesFailed', 'refreshBudgetExhausted']),
  {
    name: 'webhooks-redrive',
    expression: 'rate(1 minute)',
    function: 'webhooks',
    input: { redrive: true, scheduledTime: '<aws.scheduler.scheduled-time>' },
    description: 'Delivers due webhook retries and outbox events whose publish failed',
  },
];

export const EVENT_RULES: readonly EventRuleSpec[] = [
  // Outbox events (lambdas/platform/events/publisher.ts): detail-type is the event type.
  { name: 'deliver-webhooks', pattern: { 'detail-type': ['auth', 'connection.deleted'] }, function: 'webhooks' },
];

/**
 * The frontend SDK's browser relay (nango-api.md §3.2), deployed as a WebSocket API: the SDK only
 * listens, so only the connection's own routes exist (a message it sent would get API Gateway's
 * "no route" error).
 */
export const WEBSOCKET_ROUTES: readonly WebSocketRouteSpec[] = [
  { routeKey: '$connect', function: 'connect' },
  { routeKey: '$disconnect', function: 'connect' },
];


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
    copyFiles: [{ from: 'lambdas/platform/db/migrations', to: 'migrations' }],
    // Creates and alters the schema, and gives each function's role its password.
    databaseMaster: true,
    // Seals the first webhook signing key of each environment the migrations create.
    kms: { generateDataKey: ['environment-secret'] },
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
  proxyCalls: 'ProxyCalls',
} as const;
