import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import type { Database } from './database';
import { DeployTask } from './deploy-task';
import type { LatchkeyFunction } from './latchkey-function';

export interface BootstrapKeysProps {
  fn: LatchkeyFunction;
  database: Database;
  /** Environments (seeded by the first migration) that get a key. */
  environments: readonly string[];
  /** The schema must exist first. */
  after: IDependable;
  logRetention: RetentionDays;
}

/**
 * The deployer's first secret keys, with no dashboard: at deploy, a function creates one UUID v4
 * key per environment, puts them in this secret as `{"prod":"…","dev":"…"}` and stores only their
 * hashes in the database. `cdk deploy` prints the secret's name; reading it needs IAM access.
 */
export class BootstrapKeys extends Construct {
  readonly secret: Secret;

  constructor(scope: Construct, id: string, props: BootstrapKeysProps) {
    super(scope, id);
    this.secret = new Secret(this, 'SecretKeys', {
      description: 'Latchkey: the first secret key of each environment (JSON: environment name -> key)',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.secret.grantRead(props.fn);
    this.secret.grantWrite(props.fn);
    const task = new DeployTask(this, 'Task', {
      fn: props.fn,
      resourceType: 'Custom::LatchkeyBootstrapKeys',
      properties: { SecretArn: this.secret.secretArn, ClusterArn: props.database.cluster.clusterArn, Environments: [...props.environments] },
      logRetention: props.logRetention,
    });
    task.node.addDependency(props.after);
    Validations.of(this.secret).acknowledge(
      {
        id: 'AwsSolutions-SMG4',
        reason: 'Holds API secret keys that clients use; they are rotated through the API (issue a new key, revoke the old), not by Secrets Manager.',
      },
    );
  }
}
