import path from 'node:path';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { migrationsHash } from '../../lambdas/platform/db/migrator';
import { REPO_ROOT } from '../bundling';
import type { Database } from './database';
import { DeployTask } from './deploy-task';
import type { LatchkeyFunction } from './latchkey-function';

export interface MigrationsProps {
  fn: LatchkeyFunction;
  database: Database;
  /** Relative to the repository root. */
  migrationsDir: string;
  logRetention: RetentionDays;
}

/**
 * Applies the schema on deploy with the runner `npm start` uses (lambdas/platform/db/migrator.ts). The
 * resource's properties are the cluster and a hash of the SQL files, so any deploy that brings a
 * new migration, or a new cluster, runs it; a deploy with neither has nothing to apply. On a
 * rollback CloudFormation sends the old hash to the new bundle: the handler then does nothing
 * (migrations are expand-only, so the old code runs on the new schema; README "Contributor notes").
 * Every statement runs in one transaction under the Data API's 45 s limit (runbook: "Long DDL").
 * After the migrations (which create the functions' roles) it gives each role the password in its
 * function's secret; the functions' database users are therefore added before this construct.
 */
export class Migrations extends Construct {
  readonly task: DeployTask;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    const users = props.database.functionUsers;
    for (const user of users.values()) user.secret.grantRead(props.fn);
    this.task = new DeployTask(this, 'Task', {
      fn: props.fn,
      resourceType: 'Custom::LatchkeyMigrations',
      properties: {
        ClusterArn: props.database.cluster.clusterArn,
        MigrationsHash: hashDirectory(path.join(REPO_ROOT, props.migrationsDir)),
        // Role name → secret ARN (no secret values): the task sets each role's password from its secret.
        FunctionUsers: Object.fromEntries([...users.values()].map((u) => [u.role, u.secret.secretArn])),
        // The steps after the SQL; a new one here reruns the task once on stacks deployed before it.
        AfterMigrations: ['webhook-signing-keys'],
      },
      logRetention: props.logRetention,
    });
    // The whole cluster construct, instances included: the Data API needs a running writer.
    this.task.node.addDependency(props.database.cluster);
  }
}

/** The hash the migrate handler compares with its bundle (lambdas/platform/db/migrator.ts). */
export function hashDirectory(dir: string): string {
  return migrationsHash(dir);
}
