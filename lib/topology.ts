/**
 * What the deployment is made of, as plain data: the Lambda functions, the REST routes that reach
 * them, the schedules that invoke them and the event rules that route to them. The CDK stack
 * deploys exactly this, and `npm start` (local/) serves exactly this, so the two cannot drift.
 * No aws-cdk-lib imports here: local/ and lambdas/ tooling read this file too.
 */

export const FUNCTION_NAMES = ['api', 'sweeps'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export interface FunctionSpec {
  name: FunctionName;
  /** Entry file, relative to the repository root; it exports `handler`. */
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
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
}

/** An EventBridge rule on the stack's bus. */
export interface EventRuleSpec {
  name: string;
  pattern: Record<string, unknown>;
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
  },
  {
    name: 'sweeps',
    entry: 'lambdas/functions/sweeps/handler.ts',
    description: 'Scheduled retention, deletion and expiry sweeps',
    timeoutSeconds: 300,
    memoryMb: 512,
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
    input: { sweep: 'expired-sessions' },
    description: 'Deletes expired connect sessions and OAuth sessions',
  },
];

export const EVENT_RULES: readonly EventRuleSpec[] = [];

export function functionSpec(name: FunctionName): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (!spec) throw new Error(`Unknown function ${name}`);
  return spec;
}
