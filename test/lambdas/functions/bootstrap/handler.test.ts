import { database } from '../../../support/handles';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { env } from '../../../../lambdas/platform/config';
import { createKmsClient } from '../../../../lambdas/platform/crypto/kms';
import { SecretHasher } from '../../../../lambdas/platform/crypto/secret-hash';
import { handler } from '../../../../lambdas/functions/bootstrap/handler';
import { SECRET_KEY_FORMAT } from '../../../../lambdas/keys/secret-keys';
import { AwsJsonServer, type JsonObject } from '../../../../local/aws-json';
import { createLambdaContext, localFunction } from '../../../../local/lambda-context';
import { StandInControl } from '../../../../local/stand-in-control';
import { startTestStack, type TestStack } from '../../../support/local-stack';

/**
 * The deploy-time bootstrap of the first secret keys, over the local stack (Data API, KMS) and a
 * two-operation Secrets Manager stand-in: the keys go to the secret, only their hashes to the
 * database, and nothing secret comes back to CloudFormation.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:LatchkeySecretKeys-AbCdEf';
const CLUSTER = 'arn:aws:rds:us-east-1:000000000000:cluster:latchkey-prod';
const secrets = new Map<string, string>([[SECRET_ARN, 'x7#not-json-random-initial-value']]);
const secretsControl = new StandInControl();
const secretsManager = new AwsJsonServer({
  targetPrefix: 'secretsmanager',
  control: secretsControl,
  bodyLimit: 65_536,
  internalErrorCode: 'InternalServiceError',
  operations: {
    GetSecretValue: (input: JsonObject) => ({ ARN: input.SecretId, SecretString: secrets.get(String(input.SecretId)), VersionId: 'v1' }),
    PutSecretValue: (input: JsonObject) => {
      secrets.set(String(input.SecretId), String(input.SecretString));
      return { ARN: input.SecretId, VersionId: 'v2' };
    },
  },
});

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = await secretsManager.start();
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
  await secretsManager.stop();
  await t.stop();
});

const event = (RequestType: 'Create' | 'Update' | 'Delete', clusterArn = CLUSTER, oldClusterArn = CLUSTER) =>
  ({
    RequestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
    ResponseURL: 'https://example.invalid',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/Latchkey-prod/1',
    RequestId: 'r1',
    LogicalResourceId: 'BootstrapKeys',
    ResourceType: 'Custom::LatchkeyBootstrapKeys',
    PhysicalResourceId: SECRET_ARN,
    ResourceProperties: { ServiceToken: 'x', SecretArn: SECRET_ARN, ClusterArn: clusterArn, Environments: ['prod', 'dev'] },
    OldResourceProperties: { ServiceToken: 'x', SecretArn: SECRET_ARN, ClusterArn: oldClusterArn, Environments: ['prod', 'dev'] },
  }) as unknown as CloudFormationCustomResourceEvent;
const invoke = (e: CloudFormationCustomResourceEvent) => handler(e, createLambdaContext(localFunction('bootstrap')));
const storedKeys = () => JSON.parse(secrets.get(SECRET_ARN)!) as Record<string, string>;

async function activeKeyEnvironments(key: string): Promise<string[]> {
  const hasher = await SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID);
  const rows = await database().query<{ name: string }>(
    'SELECT e.name FROM api_keys k JOIN environments e ON e.id = k.environment_id WHERE k.key_hash = :hash AND k.revoked_at IS NULL',
    { hash: hasher.hash(key) },
  );
  return rows.map((r) => r.name);
}

test('Create puts one UUID v4 key per environment in the secret and only their hashes in the database', async () => {
  const result = await invoke(event('Create'));
  expect(result).toEqual({ PhysicalResourceId: SECRET_ARN });
  const keys = storedKeys();
  expect(Object.keys(keys).sort()).toEqual(['dev', 'prod']);
  for (const key of Object.values(keys)) expect(key).toMatch(SECRET_KEY_FORMAT);
  expect(await activeKeyEnvironments(keys.prod)).toEqual(['prod']);
  expect(await activeKeyEnvironments(keys.dev)).toEqual(['dev']);
  const [stored] = await database().query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE key_hint = :hint', { hint: keys.prod.slice(-4) });
  expect(stored.n).toBe(1);
});

test('nothing secret goes back to CloudFormation (the provider framework logs responses)', async () => {
  const result = await invoke(event('Update', 'arn:aws:rds:us-east-1:000000000000:cluster:other'));
  const text = JSON.stringify(result);
  for (const key of Object.values(storedKeys())) expect(text).not.toContain(key);
});

test('an update on the same cluster leaves keys alone, so a revoked key stays revoked', async () => {
  const keys = storedKeys();
  await database().query('UPDATE api_keys SET revoked_at = now()');
  secretsControl.resetStats();
  await invoke(event('Update'));
  expect(secretsControl.stats().calls).toEqual({});
  expect(await activeKeyEnvironments(keys.prod)).toEqual([]);
  await database().query('UPDATE api_keys SET revoked_at = NULL');
});

test('a new cluster gets the same keys again (re-run is idempotent, the secret is not rewritten)', async () => {
  const keys = storedKeys();
  secretsControl.resetStats();
  await invoke(event('Update', 'arn:aws:rds:us-east-1:000000000000:cluster:replacement'));
  expect(secretsControl.stats().calls).toEqual({ GetSecretValue: 1 });
  expect(storedKeys()).toEqual(keys);
  expect(await activeKeyEnvironments(keys.prod)).toEqual(['prod']);
});

test('Delete does nothing', async () => {
  secretsControl.resetStats();
  expect(await invoke(event('Delete'))).toEqual({ PhysicalResourceId: SECRET_ARN });
  expect(secretsControl.stats().calls).toEqual({});
});
