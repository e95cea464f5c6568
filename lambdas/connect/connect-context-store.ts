import type { ConnectSessionPrincipal } from '../auth/principal';
import type { SqlExecutor } from '../platform/db/data-api';
import { uuid } from '../platform/db/parameters';
import type { SessionFacts } from './connect-facts';

/**
 * The SQL of a connect flow's context (connect-context.ts), read in ONE statement: the connect
 * session (its limits, defaults, end user and reconnect target), the integration it asks for,
 * that integration's custom provider definition, and the environment.
 */

export interface ContextRow {
  environment_name: string;
  callback_url: string | null;
  allowed_integrations: string[] | null;
  integrations_config_defaults: SessionFacts['configDefaults'];
  tags: Record<string, string>;
  webhook_url_override: string | null;
  end_user_row_id: string | null;
  end_user: { endUserId: string; endUserEmail: string | null; organizationId: string | null; tags: Record<string, string> } | null;
  session_connection_id: string | null;
  reconnect_row_id: string | null;
  reconnect_connection_id: string | null;
  reconnect_provider_config_key: string | null;
  integration_id: string | null;
  unique_key: string | null;
  provider: string | null;
  client_id: string | null;
  client_secret: Buffer | null;
  scopes: string[] | null;
  allowed_hosts: string[] | null;
  provider_definition: unknown;
}

/**
 * The columns of `Row`, over a connect session `s` joined with CONTEXT_JOINS; shared by the
 * context read and the callback's consume-the-state statement, so both see the same facts.
 */
export const CONTEXT_COLUMNS = `e.name AS environment_name, e.callback_url, s.allowed_integrations, s.integrations_config_defaults, s.tags,
  s.webhook_url_override, s.end_user_id AS end_user_row_id, s.connection_id AS session_connection_id,
  CASE WHEN u.id IS NULL THEN NULL ELSE jsonb_build_object('endUserId', u.end_user_id, 'endUserEmail', u.email,
       'organizationId', u.organization_id, 'tags', u.tags) END AS end_user,
  rc.id AS reconnect_row_id, rc.connection_id AS reconnect_connection_id, rc.provider_config_key AS reconnect_provider_config_key,
  i.id AS integration_id, i.unique_key, i.provider, i.client_id, i.client_secret, i.scopes, i.allowed_hosts,
  (SELECT p.definition FROM providers p WHERE p.environment_id = s.environment_id AND p.name = i.provider) AS provider_definition`;

/** Joins for CONTEXT_COLUMNS; `integration` is the join condition of the live integration `i`. */
export function contextJoins(integration: string): string {
  return `JOIN environments e ON e.id = s.environment_id
  LEFT JOIN end_users u ON u.id = s.end_user_id
  LEFT JOIN connections rc ON rc.id = s.connection_id AND rc.deleted_at IS NULL
  LEFT JOIN integrations i ON ${integration} AND i.deleted_at IS NULL`;
}

/** The session's context row; undefined when the session is gone (deleted or expired since authentication). */
export async function findContextRow(db: SqlExecutor, principal: Pick<ConnectSessionPrincipal, 'sessionId' | 'environmentId'>, providerConfigKey: string, now: Date): Promise<ContextRow | undefined> {
  const [row] = await db.query<ContextRow>(
    `SELECT ${CONTEXT_COLUMNS}
       FROM connect_sessions s
       ${contextJoins('i.environment_id = s.environment_id AND i.unique_key = :provider_config_key')}
      WHERE s.id = :session_id AND s.environment_id = :environment_id AND s.expires_at > :now`,
    { session_id: uuid(principal.sessionId), environment_id: uuid(principal.environmentId), provider_config_key: providerConfigKey, now },
  );
  return row;
}
