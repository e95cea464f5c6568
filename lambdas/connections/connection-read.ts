import type { AuditBase } from '../audit/audit-event';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { toPublicConnectionFull, type ApiPublicConnectionFull } from './connection-format';
import { openSecrets } from '../integrations/integration-service';
import { isCatalogProvider, resolveStoredProvider } from '../providers/provider-registry';
import { connectionEvent, readConnection, type ConnectionKey, type ReadRow } from './connection-store';
import type { RefreshConnectionInput, RefreshResult } from './refresh/refresh-coordinator';
import { RefreshError } from './refresh/refresh-errors';
import { needsRefresh, tokenMarginMs } from './refresh/refresh-policy';
import { openCredentials, stripRefreshTokens, type StoredCredentials } from './credentials';
import { isRenewable, type IntegrationSecretsForRenewal } from './refresh/renewal';

export interface ReadOptions {
  /** The key may read credentials: decrypt them (and record the read in last_fetched_at). */
  withCredentials: boolean;
  /** Keep refresh-token-like keys (`refresh_token=true`). */
  includeRefreshToken: boolean;
  /** force_refresh: renew the token even when fresh (credential readers only). */
  forceRefresh?: boolean;
  /** refresh_github_app_jwt_token: a new installation token for APP connections, even when fresh. */
  forceAppRefresh?: boolean;
  /** Refresh-on-read (the process coordinator's `refreshConnection`), passed in by the route. Absent: no refresh. */
  refresh?: (input: RefreshConnectionInput) => Promise<RefreshResult>;
}

export type ReadResult =
  | { kind: 'found'; connection: ApiPublicConnectionFull }
  | { kind: 'unknown_integration' }
  | { kind: 'unknown_connection' }
  /** Refresh-on-read failed: the error (code, status, safe message) and the connection without credentials. */
  | { kind: 'refresh_failed'; error: RefreshError; connection: ApiPublicConnectionFull };


/**
 * `GET /connections/{id}`: one statement (read + last_fetched_at + audit row, and what a refresh
 * would need), and a decryption that is free when the data key is cached. An OAUTH2 token that
 * expires within the provider's window (or any, when forced) is refreshed first through the
 * single-flight coordinator; only then do more statements run.
 */
export async function getConnectionForApi(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  key: ConnectionKey,
  now: Date,
  options: ReadOptions,
  audit?: AuditBase,
): Promise<ReadResult> {
  // Nango records last_fetched_at only for callers that get credentials; only they are audited.
  const event = audit && options.withCredentials ? connectionEvent(audit, key, 'connection.credentials.read', { refresh_token: options.includeRefreshToken }) : undefined;
  const outcome = await readConnection(db, key, now, options.withCredentials, event);
  if (outcome.kind !== 'found') return outcome;
  const { row } = outcome;
  let credentials = options.withCredentials ? await openCredentials(cipher, key.environmentId, row) : {};
  if (options.refresh && isRenewable(credentials)) {
    const force = options.forceRefresh === true || (options.forceAppRefresh === true && credentials.type === 'APP');
    const provider = providerOf(row);
    if (provider && needsRefresh(credentials, provider, now, force)) {
      try {
        const result = await options.refresh({
          db,
          cipher,
          provider,
          integrationSecrets: await integrationClient(cipher, key.environmentId, row),
          row: { id: row.id, environmentId: key.environmentId, providerConfigKey: key.providerConfigKey, connectionId: key.connectionId, credentialsVersion: row.credentials_version, connectionConfig: row.connection_config },
          now,
          force,
          marginMs: tokenMarginMs(credentials, provider),
          ...(audit ? { audit } : {}),
        });
        credentials = result.credentials;
        // This refresh closed any incident: report the row as it now is.
        if (result.outcome === 'refreshed') Object.assign(row, healthyNow(now));
      } catch (err) {
        if (!(err instanceof RefreshError)) throw err;
        return { kind: 'refresh_failed', error: err, connection: publicConnection(row, {}, options.includeRefreshToken) };
      }
    }
  }
  return { kind: 'found', connection: publicConnection(row, credentials, options.includeRefreshToken) };
}

function healthyNow(now: Date): Partial<ReadRow> {
  return { refresh_incident_id: null, auth_error: null, refresh_failure_count: 0, refresh_backoff_until: null, last_refresh_success_at: now };
}

function publicConnection(row: ReadRow, credentials: StoredCredentials | Record<string, never>, includeRefreshToken: boolean): ApiPublicConnectionFull {
  const connection = toPublicConnectionFull(row, includeRefreshToken ? credentials : stripRefreshTokens(credentials), 'offset');
  if (!includeRefreshToken) connection.connection_config = stripRefreshTokens(connection.connection_config);
  return connection;
}

/** The integration's provider: a catalog name costs nothing; a custom one came with the read. */
export function providerOf(row: Pick<ReadRow, 'provider' | 'provider_definition'>): RefreshConnectionInput['provider'] | undefined {
  const provider = resolveStoredProvider(row.provider, row.provider_definition);
  return provider && { ...provider, name: row.provider, custom: !isCatalogProvider(row.provider) };
}

/** The integration's side of a renewal: OAuth client (a connection's config_override wins inside the coordinator), app key, scopes. */
export async function integrationClient(
  cipher: EnvelopeCipher,
  environmentId: string,
  row: Pick<ReadRow, 'integration_id' | 'integration_client_id' | 'integration_secrets' | 'integration_scopes'>,
): Promise<IntegrationSecretsForRenewal> {
  const secrets = row.integration_secrets ? await openSecrets(cipher, environmentId, row.integration_id, row.integration_secrets) : {};
  return {
    client_id: row.integration_client_id ?? '',
    client_secret: secrets.client_secret ?? '',
    ...(secrets.private_key ? { private_key: secrets.private_key } : {}),
    ...(row.integration_scopes?.length ? { scopes: row.integration_scopes } : {}),
  };
}
