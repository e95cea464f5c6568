import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { Api, type RouteLike } from './constructs/api';
import { BootstrapKeys } from './constructs/bootstrap-keys';
import { Database } from './constructs/database';
import { Events, type EventRuleLike } from './constructs/events';
import { Functions, type FunctionSpecLike } from './constructs/functions';
import { Keys } from './constructs/keys';
import { Migrations } from './constructs/migrations';
import { Network } from './constructs/network';
import { Observability } from './constructs/observability';
import { Schedules, type ScheduleLike } from './constructs/schedules';
import type { WebSocketRouteLike } from './constructs/websocket-relay';
import { parseSettings, type LatchkeySettings, type LatchkeySettingsInput } from './settings';
import * as topology from './topology';

/** What gets deployed: lib/topology.ts, unless a test (or a team) passes its own. */
export interface Topology {
  functions: readonly FunctionSpecLike[];
  deployFunctions: readonly FunctionSpecLike[];
  routes: readonly RouteLike[];
  webSocketRoutes: readonly WebSocketRouteLike[];
  schedules: readonly ScheduleLike[];
  eventRules: readonly EventRuleLike[];
}

export const TOPOLOGY: Topology = {
  functions: topology.FUNCTIONS,
  deployFunctions: topology.DEPLOY_FUNCTIONS,
  routes: topology.ROUTES,
  webSocketRoutes: topology.WEBSOCKET_ROUTES,
  schedules: topology.SCHEDULES,
  eventRules: topology.EVENT_RULES,
};

/** Environments the first migration seeds; each gets a first secret key at deploy. */
const BOOTSTRAP_ENVIRONMENTS = ['prod', 'dev'];
const MIGRATIONS_DIR = 'lambdas/platform/db/migrations';

export interface LatchkeyProps {
  settings: LatchkeySettingsInput;
  topology?: Topology;
}

/**
 * A whole Latchkey deployment as one construct, composed of one construct per logical unit. The
 * functions, routes, schedules and rules come from the topology; nothing here names a function
 * except the two deploy-time tasks.
 */
export class Latchkey extends Construct {
  readonly settings: LatchkeySettings;
  readonly network: Network;
  readonly keys: Keys;
  readonly database: Database;
  readonly events: Events;
  readonly functions: Functions;
  /** The deploy-time tasks' functions (migrate, bootstrap). */
  readonly deployFunctions: Functions;
  readonly api: Api;
  readonly schedules: Schedules;
  readonly bootstrapKeys: BootstrapKeys;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: LatchkeyProps) {
    super(scope, id);
    const s = (this.settings = parseSettings(props.settings));
    const t = props.topology ?? TOPOLOGY;
    const logRetention = s.logRetentionDays as RetentionDays;

    this.network = new Network(this, 'Network', {
      stage: s.stage,
      availabilityZones: s.availabilityZones,
      natGateways: s.natGateways,
      eipAllocationIds: s.eipAllocationIds,
      cidr: s.vpcCidr,
      interfaceEndpoints: s.vpcEndpoints,
      logRetention,
    });
    this.keys = new Keys(this, 'Keys', { stage: s.stage });
    this.database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      storageKey: this.keys.storageKey,
      availabilityZones: s.availabilityZones,
      reader: s.dbReader,
      snapshotIdentifier: s.dbSnapshotIdentifier,
      backupRetentionDays: s.backupRetentionDays,
      minCapacity: s.dbMinCapacity,
      maxCapacity: s.dbMaxCapacity,
    });
    // Rotation reads and writes the secret through Secrets Manager, from the private subnets.
    this.network.admitToEndpoints(this.database.rotationSecurityGroup, 'HTTPS from the database credentials rotation');
    this.events = new Events(this, 'Events', { stage: s.stage });

    const functionProps = {
      stage: s.stage,
      network: this.network,
      database: this.database,
      keys: this.keys,
      bus: this.events.bus,
      logRetention,
      auditRetentionDays: s.auditRetentionDays,
      // OAuth redirect URIs use the custom domain; without one the functions use the execute-api domain of the request.
      publicUrl: s.domainName ? `https://${s.domainName}` : undefined,
    };
    this.functions = new Functions(this, 'Functions', { ...functionProps, specs: t.functions });
    const deployFunctions = (this.deployFunctions = new Functions(this, 'DeployFunctions', { ...functionProps, specs: t.deployFunctions }));

    const migrations = new Migrations(this, 'Migrations', {
      fn: deployFunctions.get('migrate'),
      database: this.database,
      migrationsDir: MIGRATIONS_DIR,
      logRetention,
    });
    this.bootstrapKeys = new BootstrapKeys(this, 'BootstrapKeys', {
      fn: deployFunctions.get('bootstrap'),
      database: this.database,
      environments: BOOTSTRAP_ENVIRONMENTS,
      after: migrations,
      logRetention,
    });

    this.api = new Api(this, 'Api', {
      stage: s.stage,
      routes: t.routes,
      webSocketRoutes: t.webSocketRoutes,
      functions: this.functions,
      logRetention,
      rateLimit: s.apiRateLimit,
      burstLimit: s.apiBurstLimit,
      waf: s.waf ? { rateLimit: s.wafRateLimit, maxRequestBodyKb: s.maxRequestBodyKb } : undefined,
      domain:
        s.domainName && s.certificateArn
          ? {
              domainName: s.domainName,
              certificateArn: s.certificateArn,
              hostedZone: s.hostedZoneId && s.hostedZoneName ? { id: s.hostedZoneId, name: s.hostedZoneName } : undefined,
            }
          : undefined,
    });
    this.events.addRules(t.eventRules, this.functions);
    this.schedules = new Schedules(this, 'Schedules', { stage: s.stage, schedules: t.schedules, functions: this.functions });
    // No request or sweep before the schema is there, and no new code either: every function that
    // reads the database is updated only after the migrations ran (expand/contract: README).
    this.api.node.addDependency(migrations);
    this.schedules.node.addDependency(migrations);
    for (const fn of this.functions.all()) fn.node.defaultChild!.node.addDependency(migrations);
    this.bootstrapKeys.node.addDependency(migrations);
    // A function user's first rotation signs in as the role: migrations create it and set its password.
    for (const user of this.database.functionUsers.values()) for (const part of user.rotation) part.node.addDependency(migrations);
    if (s.sweepsReservedConcurrency > 0 && this.functions.has('sweeps')) {
      (this.functions.get('sweeps').node.defaultChild as CfnFunction).reservedConcurrentExecutions = s.sweepsReservedConcurrency;
    }
    // A sweep run that still fails after Lambda's retries lands beside the schedules' undelivered invocations.
    for (const name of new Set(t.schedules.map((sc) => sc.function))) {
      if (t.eventRules.some((r) => r.function === name)) continue; // its failures already go to the events queue
      this.functions.get(name).configureAsyncInvoke({ retryAttempts: 2, onFailure: new SqsDestination(this.schedules.deadLetterQueue) });
    }

    this.observability = new Observability(this, 'Observability', {
      stage: s.stage,
      api: this.api,
      functions: this.functions.all(),
      cluster: this.database.cluster,
      maxCapacity: s.dbMaxCapacity,
      accessLogs: this.api.accessLogs,
      deadLetterQueues: [
        ...(this.events.deadLetterQueue ? [{ name: 'events', queue: this.events.deadLetterQueue }] : []),
        { name: 'schedules', queue: this.schedules.deadLetterQueue },
      ],
      scheduleGroup: this.schedules.group,
      sweepMetrics: t.schedules.map((sc) => ({ schedule: sc.name, metrics: sc.metrics ?? [] })),
      alarmEmail: s.alarmEmail,
    });
  }
}
