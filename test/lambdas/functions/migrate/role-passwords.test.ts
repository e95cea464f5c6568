import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { migrate } from '../../../../lambdas/platform/db/migrator';
import { setRolePasswords } from '../../../../lambdas/functions/migrate/role-passwords';
import { AwsJsonServer, type JsonObject } from '../../../../local/aws-json';
import { StandInControl } from '../../../../local/stand-in-control';
import { startDataApi, type DataApiFixture } from '../../../support/data-api';

/**
 * The deploy step after the migrations: each function's role gets the password in its secret, read
 * from Secrets Manager (a two-field stand-in here) and applied as the master user on real PostgreSQL.
 */
const arn = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:latchkey-${name}-AbCdEf`;
const secrets = new Map<string, string>();
const secretsManager = new AwsJsonServer({
  targetPrefix: 'secretsmanager',
  control: new StandInControl(),
  bodyLimit: 65_536,
  internalErrorCode: 'InternalServiceError',
  operations: {
    GetSecretValue: (input: JsonObject) => ({ ARN: input.SecretId, SecretString: secrets.get(String(input.SecretId)), VersionId: 'v1' }),
  },
});

let fixture: DataApiFixture;
let client: SecretsManagerClient;
beforeAll(async () => {
  fixture = await startDataApi();
  await migrate(fixture.db);
  const endpoint = await secretsManager.start();
  client = new SecretsManagerClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  client.destroy();
  await secretsManager.stop();
  await fixture.stop();
});

/** Whether `password` is the one PostgreSQL stores for `role` (SCRAM-SHA-256 or md5, by password_encryption). */
async function isPasswordOf(role: string, password: string): Promise<boolean> {
  const [row] = await fixture.db.query<{ stored: string | null; login: boolean }>('SELECT rolpassword AS stored, rolcanlogin AS login FROM pg_authid WHERE rolname = :role', { role });
  if (!row?.stored || !row.login) return false;
  const scram = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):/.exec(row.stored);
  if (!scram) return row.stored === `md5${createHash('md5').update(password + role).digest('hex')}`;
  const salted = pbkdf2Sync(password, Buffer.from(scram[2], 'base64'), Number(scram[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return storedKey === scram[3];
}

const password = () => randomBytes(24).toString('base64url');

test('each role gets exactly the password its own secret holds, and can sign in', async () => {
  const webhooks = password();
  const sweeps = password();
  secrets.set(arn('webhooks'), JSON.stringify({ username: 'latchkey_webhooks', password: webhooks, engine: 'postgres' }));
  secrets.set(arn('sweeps'), JSON.stringify({ username: 'latchkey_sweeps', password: sweeps, engine: 'postgres' }));
  const done = await setRolePasswords(fixture.db, { latchkey_webhooks: arn('webhooks'), latchkey_sweeps: arn('sweeps') }, client);
  expect(done).toEqual(['latchkey_webhooks', 'latchkey_sweeps']);
  expect(await isPasswordOf('latchkey_webhooks', webhooks)).toBe(true);
  expect(await isPasswordOf('latchkey_sweeps', sweeps)).toBe(true);
  expect(await isPasswordOf('latchkey_webhooks', sweeps)).toBe(false);
});

test('a failure names the role, never the password', async () => {
  const secret = password();
  secrets.set(arn('ghost'), JSON.stringify({ username: 'latchkey_ghost_function', password: secret }));
  const failure = setRolePasswords(fixture.db, { latchkey_ghost_function: arn('ghost') }, client);
  await expect(failure).rejects.toThrow('Setting the password of role latchkey_ghost_function failed (SQL state 42704)');
  await expect(failure).rejects.not.toThrow(secret);
});

test('only function roles, only their own secrets, only well-formed passwords', async () => {
  secrets.set(arn('master'), JSON.stringify({ username: 'latchkey_admin', password: password() }));
  await expect(setRolePasswords(fixture.db, { postgres: arn('master') }, client)).rejects.toThrow('not a function role');
  await expect(setRolePasswords(fixture.db, { latchkey_api: arn('master') }, client)).rejects.toThrow('names another user');
  secrets.set(arn('quote'), JSON.stringify({ username: 'latchkey_api', password: "abcdefghijklmnop'; DROP TABLE api_keys; --" }));
  await expect(setRolePasswords(fixture.db, { latchkey_api: arn('quote') }, client)).rejects.toThrow('no usable password');
  secrets.set(arn('garbage'), 'not json');
  await expect(setRolePasswords(fixture.db, { latchkey_api: arn('garbage') }, client)).rejects.toThrow('names another user');
  expect(await fixture.db.query("SELECT to_regclass('api_keys')::text AS t")).toEqual([{ t: 'api_keys' }]);
});
