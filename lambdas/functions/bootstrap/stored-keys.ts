import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { newSecretKey, SECRET_KEY_FORMAT } from '../../keys/secret-keys';

export function createSecretsClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

/**
 * The secret's `{environment: key}` map, with a new key for each environment that has none.
 * Keys already there are kept, so a retried deploy hands out the same keys. Written before any
 * hash is stored: if storing hashes fails, the next attempt finds the same keys.
 */
export async function storedKeys(client: SecretsManagerClient, secretId: string, environments: readonly string[]): Promise<Record<string, string>> {
  const current = parse((await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString);
  const keys = Object.fromEntries(environments.map((name) => [name, current[name] ?? newSecretKey()]));
  if (environments.some((name) => current[name] !== keys[name])) {
    await client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(keys) }));
  }
  return keys;
}

/** Keeps only well-formed keys; CloudFormation's initial random value is not JSON at all. */
function parse(secretString: string | undefined): Record<string, string> {
  try {
    const value: unknown = JSON.parse(secretString ?? '');
    if (!value || typeof value !== 'object') return {};
    return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string' && SECRET_KEY_FORMAT.test(e[1])));
  } catch {
    return {};
  }
}
