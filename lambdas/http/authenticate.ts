import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { SqlExecutor } from '../platform/db/data-api';
import { CONNECT_SESSION_TOKEN_PREFIX, isConnectSessionToken } from '../platform/crypto/connect-session-token';
import { ApiError } from './errors';
import { bearerToken } from './request-parts';
import { SECRET_KEY_FORMAT } from '../keys/secret-keys';
import { useKeyByHash } from '../keys/secret-key-store';
import { findLiveSessionByTokenHash } from '../connect-sessions/connect-session-store';
import type { AuthMode, Principal, SecretKeyPrincipal } from '../auth/principal';
import type { SecretHasher } from '../platform/crypto/secret-hash';
import { SecretKeyCache } from '../auth/secret-key-cache';


const keyCache = new SecretKeyCache();

/**
 * Resolves the caller from `Authorization: Bearer …`. A secret key is only ever read from that
 * header, never from a query string; only the connect flow's routes take a session token there. Errors carry Nango's codes and never
 * echo the presented token.
 */
export async function authenticate(db: SqlExecutor, secretHasher: () => Promise<SecretHasher>, event: APIGatewayProxyEvent, mode: AuthMode, now: Date): Promise<Principal | undefined> {
  if (mode === 'none') return undefined;
  if (mode === 'connect_session_query') {
    const token = event.queryStringParameters?.connect_session_token ?? bearerToken(event);
    if (!token) throw new ApiError(401, 'missing_connect_session_token', 'Authentication failed: connect_session_token is missing.');
    return connectSession(db, secretHasher, token, now);
  }
  const token = bearerToken(event);
  if (!token) throw new ApiError(401, 'missing_auth_header', 'Authentication failed: the request is missing the Authorization header.');
  const acceptsSessions = mode === 'connect_session' || mode === 'secret_key_or_connect_session';
  const acceptsKeys = mode === 'secret_key' || mode === 'secret_key_or_connect_session';
  if (token.startsWith(CONNECT_SESSION_TOKEN_PREFIX) && acceptsSessions) return connectSession(db, secretHasher, token, now);
  if (!acceptsKeys) {
    throw new ApiError(401, 'invalid_connect_session_token_format', 'Authentication failed: this route needs a connect session token.');
  }
  return secretKey(db, secretHasher, token, now);
}

async function secretKey(db: SqlExecutor, secretHasher: () => Promise<SecretHasher>, token: string, now: Date): Promise<SecretKeyPrincipal> {
  if (!SECRET_KEY_FORMAT.test(token)) {
    throw new ApiError(401, 'invalid_secret_key_format', 'Authentication failed: the secret key is not a UUID v4.');
  }
  const hash = (await secretHasher()).hash(token.toLowerCase());
  const cached = keyCache.get(hash, now);
  if (cached) return cached;
  // One statement authenticates and records the use; cached hits skip it for up to 30 s.
  const row = await useKeyByHash(db, hash);
  if (!row) throw new ApiError(401, 'unknown_account', 'Authentication failed: no active secret key matches.');
  const principal: SecretKeyPrincipal = {
    kind: 'secret_key',
    keyId: row.id,
    environmentId: row.environment_id,
    environmentName: row.environment_name,
    scopes: row.scopes,
  };
  keyCache.set(hash, principal, now);
  return principal;
}

async function connectSession(db: SqlExecutor, secretHasher: () => Promise<SecretHasher>, token: string, now: Date): Promise<Principal> {
  if (!isConnectSessionToken(token)) {
    throw new ApiError(401, 'invalid_connect_session_token_format', 'Authentication failed: malformed connect session token.');
  }
  const hash = (await secretHasher()).hash(token);
  const row = await findLiveSessionByTokenHash(db, hash, now);
  if (!row) throw new ApiError(401, 'unknown_connect_session_token', 'Authentication failed: the connect session token is expired, deleted or unknown.');
  return { kind: 'connect_session', sessionId: row.id, environmentId: row.environment_id, environmentName: row.environment_name };
}

/** Forgets cached keys, so a revocation made by this container takes effect here at once. */
export function forgetCachedKeys(): void {
  keyCache.clear();
}
