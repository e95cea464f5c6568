import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Database } from './database';
import type { Keys } from './keys';
import { LatchkeyFunction, type LatchkeyFunctionSpec } from './latchkey-function';
import type { Network } from './network';
import type { KmsUse } from '../topology';

/** A function spec as lib/topology.ts writes it, for runtime and deploy-time functions alike. */
export interface FunctionSpecLike extends LatchkeyFunctionSpec {
  kms?: KmsUse;
  publishesEvents?: boolean;
  /** Signs in as the master user (migrations); others get a database user of their own. */
  databaseMaster?: boolean;
}

export interface FunctionsProps {
  stage: string;
  specs: readonly FunctionSpecLike[];
  network: Network;
  database: Database;
  keys: Keys;
  bus: IEventBus;
  logRetention: RetentionDays;
  /** How long audit events are kept (the audit-retention sweep reads it). */
  auditRetentionDays: number;
  /** The API's public base URL when it has a custom domain (LATCHKEY_PUBLIC_URL). */
  publicUrl?: string;
}

/**
 * One `LatchkeyFunction` per spec, each told where the database, key and bus are, and granted
 * exactly what its spec asks for: the Data API as its own database user, KMS per purpose, PutEvents if it publishes.
 */
export class Functions extends Construct {
  private readonly byName = new Map<string, LatchkeyFunction>();

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const environment = {
      LATCHKEY_STAGE: props.stage,
      LATCHKEY_DB_CLUSTER_ARN: props.database.cluster.clusterArn,
      LATCHKEY_DB_NAME: props.database.databaseName,
      LATCHKEY_KMS_KEY_ID: props.keys.envelopeKey.keyArn,
      LATCHKEY_EVENT_BUS_NAME: props.bus.eventBusName,
      LATCHKEY_EGRESS_IPS: props.network.egressIpList(),
      LATCHKEY_AUDIT_RETENTION_DAYS: String(props.auditRetentionDays),
      ...(props.publicUrl ? { LATCHKEY_PUBLIC_URL: props.publicUrl } : {}),
    };
    for (const spec of props.specs) {
      if (this.byName.has(spec.name)) throw new Error(`Function ${spec.name} is defined twice`);
      // Its own user's secret, or the master's for migrations: the secret picks the database role.
      const dbSecret = spec.databaseMaster ? props.database.cluster.secret! : props.database.addFunctionUser(spec.name).secret;
      const fn = new LatchkeyFunction(this, toId(spec.name), {
        spec,
        vpc: props.network.vpc,
        securityGroup: props.network.functionsSecurityGroup,
        logRetention: props.logRetention,
        environment: { ...environment, LATCHKEY_DB_SECRET_ARN: dbSecret.secretArn },
      });
      fn.grantDatabase(props.database.cluster, spec.databaseMaster ? undefined : dbSecret);
      if (spec.kms) fn.grantKmsPurposes(props.keys, spec.kms);
      if (spec.publishesEvents) fn.grantPutEvents(props.bus);
      this.byName.set(spec.name, fn);
    }
  }

  get(name: string): LatchkeyFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`No function ${name} in the topology`);
    return fn;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  all(): LatchkeyFunction[] {
    return [...this.byName.values()];
  }
}

/** `sweeps` → `Sweeps`, `connect-ui` → `ConnectUi`: readable logical ids. */
export function toId(name: string): string {
  return name.replace(/(^|[-_])([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}
