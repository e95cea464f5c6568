import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
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
 * Applies the schema on deploy with the runner `npm start` uses (lambdas/db/migrator.ts). The
 * resource's properties are the cluster and a hash of the SQL files, so any deploy that brings a
 * new migration, or a new cluster, runs it; a deploy with neither has nothing to apply.
 */
export class Migrations extends Construct {
  readonly task: DeployTask;

  constructor(scope: Construct, id: string, props: MigrationsProps) {
    super(scope, id);
    this.task = new DeployTask(this, 'Task', {
      fn: props.fn,
      resourceType: 'Custom::LatchkeyMigrations',
      properties: { ClusterArn: props.database.cluster.clusterArn, MigrationsHash: hashDirectory(path.join(REPO_ROOT, props.migrationsDir)) },
      logRetention: props.logRetention,
    });
    // The whole cluster construct, instances included: the Data API needs a running writer.
    this.task.node.addDependency(props.database.cluster);
  }
}

export function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  for (const file of fs.readdirSync(dir).sort()) hash.update(file).update('\0').update(fs.readFileSync(path.join(dir, file))).update('\0');
  return hash.digest('hex');
}
