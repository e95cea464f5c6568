/**
 * The environment variables the lambdas read, pointed at the local stand-ins. These are the same
 * names the CDK stack sets in AWS (plus the SDK's standard endpoint variables), so `lambdas/`
 * has no local branch.
 */
import { functionRoleName } from '../lib/topology';

export interface LocalEndpoints {
  dataApiUrl: string;
  kmsUrl: string;
  eventBridgeUrl: string;
  lambdaUrl?: string;
  /** The WebSocket API's management endpoint (its stage's callback URL in AWS). */
  websocketCallbackUrl?: string;
  database: string;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_KMS_ALIAS = 'alias/latchkey';
export const LOCAL_EVENT_BUS = 'latchkey';

const SECRET_ARN_PREFIX = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:latchkey-local`;

/** Function `name`'s own database secret, as the stack gives each function one (lib/constructs/database.ts). */
export function localFunctionSecretArn(name: string): string {
  return `${SECRET_ARN_PREFIX}-${name}`;
}

/** For the Data API stand-in: each function's secret signs in as that function's role, as on Aurora. */
export function localRolesBySecretArn(functionNames: readonly string[]): Record<string, string> {
  return Object.fromEntries(functionNames.map((name) => [localFunctionSecretArn(name), functionRoleName(name)]));
}

/** What function `name` runs with: the shared environment and its own database secret. */
export function functionEnvironment(env: Record<string, string>, name: string): Record<string, string> {
  return { ...env, LATCHKEY_DB_SECRET_ARN: localFunctionSecretArn(name) };
}

export function lambdaEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_RDS_DATA: endpoints.dataApiUrl,
    AWS_ENDPOINT_URL_KMS: endpoints.kmsUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventBridgeUrl,
    ...(endpoints.lambdaUrl ? { AWS_ENDPOINT_URL_LAMBDA: endpoints.lambdaUrl } : {}),
    // The same variable the CDK stack sets; no LATCHKEY_WEBSOCKET_URL: the socket is on the API's own port ('/').
    ...(endpoints.websocketCallbackUrl ? { LATCHKEY_WEBSOCKET_CALLBACK_URL: endpoints.websocketCallbackUrl } : {}),
    LATCHKEY_STAGE: 'local',
    LATCHKEY_DB_CLUSTER_ARN: `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT}:cluster:latchkey-local`,
    // The master's: migrations (and the tests' own set-up). Each function has its own (functionEnvironment).
    LATCHKEY_DB_SECRET_ARN: SECRET_ARN_PREFIX,
    LATCHKEY_DB_NAME: endpoints.database,
    LATCHKEY_KMS_KEY_ID: LOCAL_KMS_ALIAS,
    LATCHKEY_EVENT_BUS_NAME: LOCAL_EVENT_BUS,
    // Local receivers are plain HTTP on loopback; the CDK stack never sets this (HTTPS only there).
    LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
    POWERTOOLS_SERVICE_NAME: 'latchkey',
    POWERTOOLS_METRICS_NAMESPACE: 'Latchkey',
  };
}
