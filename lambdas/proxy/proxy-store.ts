import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import { LAST_FETCHED_RESOLUTION_MS, type ConnectionKey } from '../connections/connection-store';

/**
 * The proxy's one read: the connection with what injecting and renewing its credentials needs
 * (the integration's client, sealed secrets and allowed hosts, a custom provider), whether the
 * integration exists, and the use recorded in `last_fetched_at` (at most once a minute, as reads
 * of credentials do), in ONE statement. The integration's secrets stay sealed unless a renewal
 * needs them.
 */

export interface ProxyTargetRow {
  id: string;
  credentials: Buffer | null;
  credentials_version: number;
  connection_config: Record<string, unknown>;
  provider: string;
  provider_definition: unknown;
  integration_id: string;
  integration_client_id: string | null;
  integration_secrets: Buffer | null;
  integration_scopes: string[] | null;
  allowed_hosts: string[];
}

export type ProxyTarget = { kind: 'found'; row: ProxyTargetRow } | { kind: 'unknown_integration' } | { kind: 'unknown_connection' };

export async function readProxyTarget(db: SqlExecutor, key: ConnectionKey, now: Date): Promise<ProxyTarget> {
  const [row] = await db.query<ProxyTargetRow & { integration_exists: boolean; id: string | null }>(
    `WITH integration AS (
       SELECT id, provider, client_id, client_secret, scopes, allowed_hosts FROM integrations
        WHERE environment_id = :environment_id AND unique_key = :provider_config_key AND deleted_at IS NULL
     ), target AS (
       SELECT c.id, c.credentials, c.credentials_version, c.connection_config, i.provider, i.id AS integration_id,
              i.client_id AS integration_client_id, i.client_secret AS integration_secrets, i.scopes AS integration_scopes, i.allowed_hosts,
              (SELECT p.definition FROM providers p WHERE p.environment_id = c.environment_id AND p.name = i.provider) AS provider_definition
         FROM connections c JOIN integration i ON i.id = c.integration_id
        WHERE c.environment_id = :environment_id AND c.provider_config_key = :provider_config_key
          AND c.connection_id = :connection_id AND c.deleted_at IS NULL
     ), touched AS (
       UPDATE connections c SET last_fetched_at = :now
         FROM target t
        WHERE c.id = t.id AND (c.last_fetched_at IS NULL OR c.last_fetched_at < :stale_before)
       RETURNING c.id
     )
     SELECT EXISTS (SELECT 1 FROM integration) AS integration_exists, t.*
       FROM (SELECT 1) AS one LEFT JOIN target t ON true`,
    {
      environment_id: uuid(key.environmentId),
      provider_config_key: key.providerConfigKey,
      connection_id: key.connectionId,
      now,
      stale_before: new Date(now.getTime() - LAST_FETCHED_RESOLUTION_MS),
    },
    // A read; last_fetched_at converges, so a resend is harmless.
    { idempotent: true },
  );
  if (row?.id) return { kind: 'found', row };
  return row?.integration_exists ? { kind: 'unknown_connection' } : { kind: 'unknown_integration' };
}
