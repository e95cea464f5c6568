import type { Parameters } from '../../platform/db/parameters';
import { newOutboxEvent, outboxSelectClause, type OutboxEvent } from '../../platform/events/outbox';
import type { RefreshFailureKind } from './refresh-policy';

/**
 * The webhooks of a refresh incident, Nango's `auth` body (nango-api.md §4.1) with operation
 * `refresh`: ONE failure event when an incident opens (the first failed refresh of a streak), and
 * ONE recovery event (`success: true`, our extension: Nango sends nothing on success) when the
 * next refresh succeeds and closes it. Both are gated by `webhook_on_auth_refresh_error`
 * (lambdas/webhooks/delivery-store.ts maps operation `refresh` to it).
 *
 * The bodies are built in SQL by the statement that records the outcome, from the row it changed
 * (`changed`: id, environment_id, integration_id, end_user_id, connection_id, provider_config_key,
 * tags), so an event exists exactly when its change committed. `error.description` is ours: the
 * failure kind and status, never the provider's text.
 */

/** Nango's error type for any failed refresh. */
export const REFRESH_ERROR_TYPE = 'refresh_token_external_error';

const DESCRIPTIONS: Record<RefreshFailureKind, string> = {
  invalid_grant: 'The provider refused the refresh token (revoked, expired or already used): the end user must reconnect',
  invalid_client: "The provider refused the integration's OAuth client: check its client id and secret",
  other_4xx: 'The provider refused the refresh request',
  server: 'The provider failed to answer the refresh request (server error or rate limit); retrying after a cooldown',
  network: 'The provider could not be reached; retrying after a cooldown',
  timeout: 'The provider did not answer the refresh request in time; retrying after a cooldown',
  invalid_response: 'The provider answered the refresh request with something that is not a token',
  blocked: "The provider's token URL is not allowed by the outbound network policy",
  config: 'The integration is missing what a refresh needs (client id or secret, token URL)',
  unknown: 'The refresh failed unexpectedly; retrying after a cooldown',
};

export function failureDescription(kind: RefreshFailureKind, status?: number): string {
  return status !== undefined ? `${DESCRIPTIONS[kind]} (HTTP ${status})` : DESCRIPTIONS[kind];
}

const END_USER = `CASE WHEN eu.id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('endUser',
    jsonb_build_object('endUserId', eu.end_user_id, 'endUserEmail', eu.email, 'tags', eu.tags)
    || CASE WHEN eu.organization_id IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('organizationId', eu.organization_id) END) END`;

/**
 * `, <name> AS (INSERT INTO outbox …)` over the `changed` CTE, written only when `whenSql` (a
 * condition over `g`, the changed row) holds. `error` absent: the recovery body.
 */
export function refreshEventClause(
  environmentId: string,
  name: string,
  whenSql: string,
  error?: { kind: RefreshFailureKind; status?: number },
): { event: OutboxEvent; sql: string; params: Parameters } {
  const event = newOutboxEvent(environmentId, 'auth', {});
  const p = `${name}_`;
  const errorSql = error ? `jsonb_build_object('success', false, 'error', jsonb_build_object('type', :${p}error_type, 'description', :${p}error_description))` : `jsonb_build_object('success', true)`;
  const clause = outboxSelectClause(
    event,
    {
      payloadSql: `jsonb_build_object('from', 'nango', 'type', 'auth', 'connectionId', g.connection_id, 'providerConfigKey', g.provider_config_key,
          'provider', COALESCE(i.provider, 'unknown'), 'authMode', 'OAUTH2', 'environment', e.name, 'operation', 'refresh', 'tags', g.tags)
          || ${errorSql} || ${END_USER}`,
      fromSql: `changed g JOIN environments e ON e.id = g.environment_id LEFT JOIN integrations i ON i.id = g.integration_id LEFT JOIN end_users eu ON eu.id = g.end_user_id`,
      whereSql: whenSql,
      connectionIdSql: 'g.id',
    },
    name,
  );
  const params: Parameters = { ...clause.params };
  if (error) {
    params[`${p}error_type`] = REFRESH_ERROR_TYPE;
    params[`${p}error_description`] = failureDescription(error.kind, error.status);
  }
  return { event, sql: clause.sql, params };
}
