import { randomUUID } from 'node:crypto';
import { createKmsClient } from '../lambdas/platform/crypto/kms';
import { SecretHasher } from '../lambdas/platform/crypto/secret-hash';
import { DataApi } from '../lambdas/platform/db/data-api';
import type { LocalStack } from '../local/stack';
import type { OAuthServer } from '../test/support/oauth-server';

/** The `dev` environment's API with a fresh secret key, and an integration `bench-oidc` at the test authorization server. */
export async function benchOAuthIntegration(stack: LocalStack, server: OAuthServer): Promise<{ api: (path: string, body: unknown, method?: string) => Promise<Response> }> {
  const db = new DataApi({ resourceArn: stack.env.LATCHKEY_DB_CLUSTER_ARN, secretArn: stack.env.LATCHKEY_DB_SECRET_ARN, database: stack.env.LATCHKEY_DB_NAME });
  const key = randomUUID();
  const { ensureSecretKey } = await import('../lambdas/keys/secret-keys');
  await ensureSecretKey(db, await SecretHasher.load(db, createKmsClient(), stack.env.LATCHKEY_KMS_KEY_ID), 'dev', key);
  const api = (p: string, body: unknown, method = 'POST') =>
    fetch(`${stack.baseUrl}${p}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const client = server.clients.basic;
  await api('/providers/bench-oidc', { display_name: 'bench', auth_mode: 'OAUTH2', allow_private_network: true, authorization_url: server.authorizationUrl, token_url: server.tokenUrl, authorization_method: 'header' }, 'PUT');
  await api('/integrations', { provider: 'bench-oidc', unique_key: 'bench-oidc', credentials: { type: 'OAUTH2', client_id: client.client_id, client_secret: client.client_secret, scopes: 'openid,read' } });
  return { api };
}
