import { randomUUID } from 'node:crypto';
import type { AuditBase } from '../audit/audit-event';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import type { EndUserInput } from '../end-users/end-user-schema';
import { tagsFromEndUser, upsertEndUser } from '../end-users/end-user-store';
import { openSecrets } from '../integrations/integration-service';
import type { ProviderRegistry, ResolvedProvider } from '../providers/provider-registry';
import { fetchInstallationToken } from './app-installation-token';
import type { ConnectionRow } from './connection-format';
import { ImportRefusal } from './errors';
import { connectionEvent, findImportTarget, insertConnection, overrideConnection, retireConnection, type ConnectionKey, type ImportTarget } from './connection-store';
import { credentialsBinding, prepareCredentials, TOKEN_EXCHANGE_TYPES, type CredentialsInput, type PreparedCredentials, type StoredCredentials } from './credentials';

export interface ImportRequest {
  provider_config_key: string;
  connection_id?: string;
  metadata?: Record<string, unknown>;
  connection_config?: Record<string, unknown>;
  /** '' clears. */
  webhook_url_override?: string;
  end_user?: EndUserInput;
  tags?: Record<string, string>;
  credentials: CredentialsInput;
}

export interface ImportResult {
  row: ConnectionRow;
  credentials: StoredCredentials | Record<string, never>;
  /** As the `auth` webhook will report it. */
  operation: 'creation' | 'override';
}

export interface ImportDeps {
  db: SqlExecutor;
  cipher: EnvelopeCipher;
  registry: ProviderRegistry;
  /** Deadline of the installation-token call (APP/CUSTOM); provider-http's default otherwise. */
  providerTimeoutMs?: number;
  /**
   * The caller may read connection credentials (scope `environment:connections:read_credentials`):
   * only then does the result carry them, and the write records a `connection.credentials.read`
   * too. Otherwise `credentials` is `{}`: an import must not hand out what a read would refuse
   * (an APP/CUSTOM import mints a fresh installation token).
   */
  revealCredentials?: boolean;
}

/** A write loses only to a concurrent import or delete of the same ids; then we look again. */
const MAX_ATTEMPTS = 3;

/**
 * `POST /connections`: creates the connection, or overrides the live one with the same ids. The
 * credentials envelope is bound to the row id, so the id is known (existing row) or chosen
 * (new row) before encrypting, and a lost insert race is retried as an override.
 *
 * APP and CUSTOM credentials are not in the body: an installation token is minted with the
 * integration's private key (app-installation-token.ts) BEFORE anything is written, so a refused
 * exchange leaves no trace; its errors (AppTokenError) reach the caller as they are.
 *
 * Audited as `connection.import` in the statement that writes (with `connection.credentials.read`
 * when the credentials are handed back, see `revealCredentials`). Not done here yet: testing
 * API_KEY/BASIC/TBA credentials against the provider's verification endpoint, and the `auth` webhook.
 */
export async function importConnection(deps: ImportDeps, environmentId: string, request: ImportRequest, now: Date, audit?: AuditBase): Promise<ImportResult> {
  const { db, cipher, registry } = deps;
  const key: ConnectionKey = { environmentId, providerConfigKey: request.provider_config_key, connectionId: request.connection_id ?? randomUUID() };
  const { type } = request.credentials;
  const exchange = TOKEN_EXCHANGE_TYPES.has(type);
  let target = await findImportTarget(db, key, exchange);
  if (!target) throw new ImportRefusal('unknown_integration', 'Integration does not exist');
  const resolved = await registry.get(db, environmentId, target.provider);
  if (!resolved) throw new ImportRefusal('unknown_provider', 'Provider does not exist');
  if (resolved.provider.auth_mode !== type) {
    throw new ImportRefusal('auth_mode_mismatch', `Provider ${resolved.provider.auth_mode} does not support ${type} auth`);
  }
  let connectionConfig = request.connection_config;
  let prepared: PreparedCredentials;
  if (exchange) {
    const exchanged = await exchangeAppCredentials(deps, environmentId, target, resolved, request, now);
    prepared = exchanged.prepared;
    connectionConfig = exchanged.connectionConfig;
  } else {
    prepared = prepareCredentials(request.credentials);
  }
  // Idempotent: a failed write below leaves at most an up-to-date end user behind.
  const endUser = request.end_user ? await upsertEndUser(db, environmentId, request.end_user) : undefined;
  const tags = request.end_user || request.tags ? tagsFromEndUser(request.end_user, undefined, request.tags ?? {}) : undefined;

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
    if (attempt > 1) target = await findImportTarget(db, key);
    if (!target) throw new ImportRefusal('unknown_integration', 'Integration does not exist');
    const existing = await liveRowOf(db, key, target, now, audit);
    const rowId = existing ?? randomUUID();
    const write = {
      rowId,
      integrationId: target.integration_id,
      provider: target.provider,
      endUserRowId: endUser?.id,
      credentials: prepared.credentials ? await cipher.encryptJson(prepared.credentials, credentialsBinding(environmentId, rowId)) : null,
      credentialsExpiresAt: prepared.expiresAt,
      connectionConfig,
      metadata: request.metadata,
      tags,
      webhookUrlOverride: request.webhook_url_override === undefined ? undefined : request.webhook_url_override || null,
    };
    const operation = existing ? 'override' : 'creation';
    const events = audit
      ? [
          connectionEvent(audit, key, 'connection.import', { operation, credentials_type: type }),
          ...(deps.revealCredentials ? [connectionEvent(audit, key, 'connection.credentials.read', { refresh_token: true, via: 'import' })] : []),
        ]
      : undefined;
    const row = existing ? await overrideConnection(db, environmentId, write, now, events) : await insertConnection(db, key, write, now, events);
    if (row) return { row, credentials: deps.revealCredentials ? (prepared.credentials ?? {}) : {}, operation };
  }
  throw new Error('Connection import lost to concurrent writes of the same connection too often');
}

/**
 * APP/CUSTOM: an installation token of the app the integration holds the key of. The JWT is not
 * kept. A CUSTOM import stores the same APP credentials: user tokens only come from the OAuth flow.
 */
async function exchangeAppCredentials(
  deps: ImportDeps,
  environmentId: string,
  target: ImportTarget,
  provider: ResolvedProvider,
  request: ImportRequest,
  now: Date,
): Promise<{ prepared: PreparedCredentials; connectionConfig: Record<string, unknown> }> {
  const input = request.credentials as Extract<CredentialsInput, { type: 'APP' | 'CUSTOM' }>;
  // The key signs as the integration's app: a connection claiming another app could only fail at
  // GitHub, or worse, record an app id that is not the one its token belongs to.
  if (target.integration_app_id && target.integration_app_id !== input.app_id) {
    throw new ImportRefusal('app_id_mismatch', "credentials.app_id does not match the integration's app_id");
  }
  const secrets = target.integration_secrets ? await openSecrets(deps.cipher, environmentId, target.integration_id, target.integration_secrets) : {};
  const connectionConfig = { ...request.connection_config, app_id: input.app_id, installation_id: input.installation_id };
  const token = await fetchInstallationToken({
    provider,
    appId: input.app_id,
    privateKey: secrets.private_key,
    connectionConfig,
    now,
    timeoutMs: deps.providerTimeoutMs,
  });
  return { prepared: { credentials: token.credentials, expiresAt: token.expiresAt }, connectionConfig };
}

/** The row to override, if any; a row left by a deleted integration of the same key is retired instead. */
async function liveRowOf(db: SqlExecutor, key: ConnectionKey, target: ImportTarget, now: Date, audit?: AuditBase): Promise<string | undefined> {
  const rowId = target.connection_row_id;
  if (!rowId) return undefined;
  if (target.connection_integration_id === target.integration_id) return rowId;
  const event = audit && { ...connectionEvent(audit, key, 'connection.delete', { reason: 'integration_replaced' }), targetId: rowId };
  await retireConnection(db, key.environmentId, rowId, now, event);
  return undefined;
}
