import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DataApi } from '../../platform/db/data-api';
import { DatabaseError } from '../../platform/db/errors';

/** The roles migration 0009 creates are `latchkey_<function>`; nothing else is ever altered here. */
const ROLE_NAME = /^latchkey_[a-z][a-z0-9_]{0,40}$/;
/** What Secrets Manager generates for a database secret (no quotes, backslashes or spaces). */
const PASSWORD = /^[\x21-\x7e]{16,128}$/;

/**
 * Gives each function's database role the password in that function's secret (role name → secret
 * ARN, from the stack), as the master user, after the migrations that create the roles. The
 * password goes only into the ALTER ROLE statement (utility statements take no parameters); it is
 * never logged, and a failure names the role and SQL state, not the statement.
 */
export async function setRolePasswords(db: DataApi, users: Record<string, string>, client = new SecretsManagerClient({})): Promise<string[]> {
  const done: string[] = [];
  for (const [role, secretArn] of Object.entries(users)) {
    if (!ROLE_NAME.test(role)) throw new Error(`Refusing to set the password of role ${JSON.stringify(role)}: not a function role`);
    const { username, password } = parseSecret((await client.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString);
    if (username !== role) throw new Error(`The secret for role ${role} names another user`);
    if (!password || !PASSWORD.test(password) || /['\\]/.test(password)) throw new Error(`The secret for role ${role} holds no usable password`);
    try {
      await db.query(`ALTER ROLE ${role} WITH LOGIN PASSWORD '${password}'`);
    } catch (err) {
      const sqlState = err instanceof DatabaseError ? err.sqlState : undefined;
      // No cause on purpose: the caught error belongs to a statement that holds the password.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`Setting the password of role ${role} failed${sqlState ? ` (SQL state ${sqlState})` : ''}`);
    }
    done.push(role);
  }
  return done;
}

function parseSecret(secretString: string | undefined): { username?: string; password?: string } {
  try {
    const value = JSON.parse(secretString ?? '') as { username?: unknown; password?: unknown };
    return { username: typeof value.username === 'string' ? value.username : undefined, password: typeof value.password === 'string' ? value.password : undefined };
  } catch {
    return {};
  }
}
