import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { ensureWebhookSigningKeys } from '../../environments/environment-store';
import { platformHandles } from '../../platform/handles';
import { loadMigrations, migrate, migrationsHash } from '../../platform/db/migrator';
import { logger } from '../../platform/observability/logger';
import { setRolePasswords } from './role-passwords';

/** What the custom-resource provider framework expects back. */
export interface CustomResourceResult {
  PhysicalResourceId: string;
  Data?: Record<string, string>;
}

/** The function's composition root: its database and cipher, built on first use. */
const handles = platformHandles();

/**
 * `Custom::LatchkeyMigrations` (lib/constructs/migrations.ts): applies pending migrations on
 * every create and update, with the runner `npm start` uses; the SQL files are copied beside the
 * bundle, then gives each function's database role the password in that function's secret
 * (`FunctionUsers`: role → secret ARN), and each environment without a webhook signing key its
 * first one (sealing needs KMS, which a SQL migration cannot reach). Deleting the resource leaves the schema alone: the data
 * outlives a stack update.
 *
 * An update asking for migrations other than the bundled ones is a rollback: CloudFormation sends
 * the previous properties while this (new) code is still deployed. Migrations are never undone
 * (expand/contract), so it succeeds without work; re-running a failed migration here would leave
 * the stack in UPDATE_ROLLBACK_FAILED.
 */
export const handler = middy(async (event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> => {
  const physicalResourceId = `${event.ResourceProperties.ClusterArn}/schema`;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const requested = String(event.ResourceProperties.MigrationsHash ?? '');
  const bundled = migrationsHash();
  if (event.RequestType === 'Update' && requested !== bundled) {
    logger.warn('migrations skipped: the requested migrations are not the bundled ones (a rollback)', { requested, bundled });
    return {
      PhysicalResourceId: event.PhysicalResourceId,
      Data: { SchemaVersion: 'unchanged', Skipped: `requested migrations ${requested} are not the bundled ${bundled}: rollback, nothing applied` },
    };
  }
  const report = await migrate(handles.db, loadMigrations());
  logger.info('migrations applied', { applied: report.applied, current: report.current });
  const users = (event.ResourceProperties.FunctionUsers ?? {}) as Record<string, string>;
  const roles = await setRolePasswords(handles.db, users);
  if (roles.length > 0) logger.info('function roles given their passwords', { roles });
  const signed = await ensureWebhookSigningKeys(handles.db, handles.cipher);
  if (signed.length > 0) logger.info('webhook signing keys created', { environments: signed });
  return { PhysicalResourceId: physicalResourceId, Data: { SchemaVersion: String(report.current) } };
}).use(injectLambdaContext(logger, { resetKeys: true }));
