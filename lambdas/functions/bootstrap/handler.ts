import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { env } from '../../platform/config';
import { createKmsClient } from '../../platform/crypto/kms';
import { SecretHasher } from '../../platform/crypto/secret-hash';
import { platformHandles } from '../../platform/handles';
import { ensureSecretKey } from '../../keys/secret-keys';
import { logger } from '../../platform/observability/logger';
import type { CustomResourceResult } from '../migrate/handler';
import { createSecretsClient, storedKeys } from './stored-keys';

/** The function's composition root: its database, built on first use (the hasher is loaded per run: it runs once a deploy). */
const handles = platformHandles();

/**
 * `Custom::LatchkeyBootstrapKeys` (lib/constructs/bootstrap-keys.ts): gives each environment a
 * first secret key the deployer reads from Secrets Manager, with no dashboard. The keys live only
 * in the secret; the database gets their peppered hashes. Runs on create, and again only when the
 * cluster changed (a new database needs the hashes); any other update leaves keys alone, so a key
 * revoked through the API stays revoked. Nothing secret is logged or returned to CloudFormation.
 */
export const handler = middy(async (event: CloudFormationCustomResourceEvent): Promise<CustomResourceResult> => {
  const props = event.ResourceProperties as unknown as { SecretArn: string; ClusterArn: string; Environments: string[] };
  const physicalResourceId = props.SecretArn;
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  if (event.RequestType === 'Update' && (event.OldResourceProperties as { ClusterArn?: string }).ClusterArn === props.ClusterArn) {
    logger.info('bootstrap keys already in place', { environments: props.Environments });
    return { PhysicalResourceId: physicalResourceId };
  }
  const keys = await storedKeys(createSecretsClient(), props.SecretArn, props.Environments);
  const hasher = await SecretHasher.load(handles.db, createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
  for (const [environment, key] of Object.entries(keys)) await ensureSecretKey(handles.db, hasher, environment, key);
  logger.info('bootstrap keys stored', { environments: Object.keys(keys) });
  return { PhysicalResourceId: physicalResourceId };
}).use(injectLambdaContext(logger, { resetKeys: true }));
