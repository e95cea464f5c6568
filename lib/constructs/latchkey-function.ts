import path from 'node:path';
import { CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ISecurityGroup, IVpc } from 'aws-cdk-lib/aws-ec2';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IDatabaseCluster } from 'aws-cdk-lib/aws-rds';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { NODE_OPTIONS, nodejsBundling, REPO_ROOT } from '../bundling';
import type { KmsPurpose, KmsUse } from '../topology';
import type { Keys } from './keys';

/** What a Data API caller needs (as CDK's grantDataApiAccess grants, without the master secret). */
const DATA_API_ACTIONS = [
  'rds-data:BatchExecuteStatement',
  'rds-data:BeginTransaction',
  'rds-data:CommitTransaction',
  'rds-data:ExecuteStatement',
  'rds-data:RollbackTransaction',
] as const;

const MANAGED_POLICY = 'arn:<AWS::Partition>:iam::aws:policy/service-role';

/** The part of a topology function spec (lib/topology.ts) a deployed function is built from. */
export interface LatchkeyFunctionSpec {
  name: string;
  entry: string;
  description: string;
  timeoutSeconds: number;
  memoryMb: number;
  reservedConcurrency?: number;
  copyFiles?: readonly { from: string; to: string }[];
  builtFiles?: readonly { script: string; to: string }[];
}

export interface LatchkeyFunctionProps {
  spec: LatchkeyFunctionSpec;
  vpc: IVpc;
  securityGroup: ISecurityGroup;
  logRetention: RetentionDays;
  /** Where the function finds the database, key and bus (lambdas/platform/config.ts). */
  environment: Record<string, string>;
}

/**
 * A Latchkey Lambda: Node 22 on arm64, bundled by local esbuild (lib/bundling.ts), in the private
 * subnets of all four AZs, with its own log group and retention. It starts with no permissions
 * beyond logging and its network interfaces; the grants below add exactly what it uses.
 */
export class LatchkeyFunction extends NodejsFunction {
  readonly spec: LatchkeyFunctionSpec;

  constructor(scope: Construct, id: string, props: LatchkeyFunctionProps) {
    const { spec } = props;
    // A log group we own: retention without the log-retention custom resource, deleted with the stack.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    super(scope, id, {
      entry: path.join(REPO_ROOT, spec.entry),
      handler: 'handler',
      description: spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      reservedConcurrentExecutions: spec.reservedConcurrency,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      projectRoot: REPO_ROOT,
      bundling: nodejsBundling(spec),
      logGroup,
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [props.securityGroup],
      environment: {
        ...props.environment,
        NODE_OPTIONS,
        POWERTOOLS_SERVICE_NAME: 'latchkey',
        POWERTOOLS_METRICS_NAMESPACE: 'Latchkey',
      },
    });
    this.spec = spec;
    Validations.of(this).acknowledge(
      { id: `AwsSolutions-IAM4[Policy::${MANAGED_POLICY}/AWSLambdaBasicExecutionRole]`, reason: "AWS's policy for writing the function's own logs." },
      { id: `AwsSolutions-IAM4[Policy::${MANAGED_POLICY}/AWSLambdaVPCAccessExecutionRole]`, reason: "AWS's policy for the network interfaces of a function in a VPC (ec2 ENI calls take no resource)." },
      { id: 'AwsSolutions-L1', reason: 'Node.js 22 on purpose: the LTS line the code and its tests target; moving to 24 is a deliberate, tested change, not a CDK upgrade side effect.' },
    );
  }

  /**
   * Statements through the Data API on the cluster, signed in with `secret` (the function's own
   * user) and able to read only that secret; without one, the master secret (migrations alone).
   */
  grantDatabase(cluster: IDatabaseCluster, secret?: ISecret): void {
    if (!secret) {
      cluster.grantDataApiAccess(this);
      return;
    }
    this.addToRolePolicy(new PolicyStatement({ actions: [...DATA_API_ACTIONS], resources: [cluster.clusterArn] }));
    secret.grantRead(this);
  }

  /**
   * Decrypt and GenerateDataKey on the envelope key, each only for the listed encryption-context
   * purposes, in both the role's policy and the key's policy (which alone admits the role): the
   * condition is what keeps, say, the webhooks function from unwrapping connection credentials.
   */
  grantKmsPurposes(keys: Keys, use: KmsUse): void {
    const key = keys.envelopeKey;
    const statements: ['kms:Decrypt' | 'kms:GenerateDataKey', readonly KmsPurpose[] | undefined][] = [
      ['kms:Decrypt', use.decrypt],
      ['kms:GenerateDataKey', use.generateDataKey],
    ];
    for (const [action, purposes] of statements) {
      if (!purposes?.length) continue;
      this.addToRolePolicy(
        new PolicyStatement({
          actions: [action],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:EncryptionContext:purpose': [...purposes] } },
        }),
      );
      keys.allowUse(this.role!, action, purposes);
    }
  }

  grantPutEvents(bus: IEventBus): void {
    bus.grantPutEventsTo(this);
  }

  /** How cdk-nag names the `<function ARN>:*` (any version) resource that CDK's invoke grants add. */
  get anyVersionNagFinding(): string {
    return `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.node.defaultChild as CfnElement)}.Arn>:*]`;
  }
}
