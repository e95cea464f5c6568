import type { AuditBase } from '../audit/audit-event';
import { recordAudit } from '../audit/audit-log';
import type { ConnectSessionPrincipal } from '../auth/principal';
import type { SqlExecutor } from '../platform/db/data-api';
import { IntegrationKeySchema } from '../integrations/integration-schema';
import { resolveStoredProvider } from '../providers/provider-registry';
import type { AuthMode } from '../providers/provider-schema';
import type { ConnectContext, SessionFacts } from './connect-facts';
import { findContextRow, type ContextRow } from './connect-context-store';
import { ConnectError } from './errors';
import { recordFlowFailure, type FlowKind } from './flow-connection';

/**
 * Everything a connect-flow request needs to know before it talks to a provider, read in ONE
 * statement (connect-context-store.ts): the connect session, the integration it asks for, its
 * custom provider definition, and the environment.
 */


/** The session's context row; `unknown_connect_session_token` when the session is gone (deleted or expired since authentication). */
export async function readContextRow(db: SqlExecutor, principal: Pick<ConnectSessionPrincipal, 'sessionId' | 'environmentId'>, providerConfigKey: string, now: Date): Promise<ContextRow> {
  const row = await findContextRow(db, principal, providerConfigKey, now);
  if (!row) throw new ConnectError('unknown_connect_session_token', 'Authentication failed: the connect session token is expired, deleted or unknown.');
  return row;
}

export interface ConnectFlowRequest {
  db: SqlExecutor;
  principal: Pick<ConnectSessionPrincipal, 'sessionId' | 'environmentId'>;
  providerConfigKey: string;
  now: Date;
  audit: AuditBase;
}

/**
 * Runs a connect flow with the session's view of integration `providerConfigKey`. Once the session
 * is known, every refusal (integration_not_allowed, unknown_provider_config, invalid_auth_mode,
 * invalid input, a provider's answer) is written as a `connect.failure` audit row and a failed
 * `auth` event before it reaches the caller.
 */
export async function withConnectContext<T>(r: ConnectFlowRequest, modes: readonly AuthMode[], flow: FlowKind, work: (ctx: ConnectContext) => Promise<T>): Promise<T> {
  const row = await readContextRow(r.db, r.principal, r.providerConfigKey, r.now);
  let ctx: ConnectContext | undefined;
  try {
    ctx = toConnectContext(r.principal, row, r.providerConfigKey, modes);
    return await work(ctx);
  } catch (err) {
    if (err instanceof ConnectError) {
      await recordFlowFailure(r.db, { session: ctx?.session ?? sessionFacts(r.principal, row), integration: ctx?.integration }, r.providerConfigKey, flow, err, r.audit);
    }
    throw err;
  }
}

/**
 * A connect request whose path, query or body did not validate: a `connect.failure` audit row, as
 * for any other failure of the session, but no `auth` event (bad input changes nothing a customer
 * sees). The integration key is named only when it is a valid one; nothing of the input is stored.
 */
export async function recordRejectedInput(db: SqlExecutor, rawProviderConfigKey: string | undefined, flow: FlowKind, errorType: string, audit: AuditBase): Promise<void> {
  const key = IntegrationKeySchema.safeParse(rawProviderConfigKey);
  await recordAudit(db, {
    ...audit,
    outcome: 'failure',
    action: 'connect.failure',
    targetType: 'integration',
    targetId: null,
    detail: { flow, provider_config_key: key.success ? key.data : null, error_type: errorType, stage: 'input' },
  });
}

/** Checks a context row against what the request asks for. */
export function toConnectContext(principal: Pick<ConnectSessionPrincipal, 'sessionId' | 'environmentId'>, row: ContextRow, providerConfigKey: string, modes: readonly AuthMode[]): ConnectContext {
  const session = sessionFacts(principal, row);
  if (session.allowedIntegrations && !session.allowedIntegrations.includes(providerConfigKey)) {
    throw new ConnectError('integration_not_allowed', 'This connect session does not allow this integration');
  }
  if (row.session_connection_id && !session.reconnect) throw new ConnectError('invalid_connection', 'The connection this session reconnects no longer exists');
  if (session.reconnect && session.reconnect.providerConfigKey !== providerConfigKey) {
    throw new ConnectError('integration_not_allowed', 'This connect session reconnects a connection of another integration');
  }
  if (!row.integration_id || !row.provider) throw new ConnectError('unknown_provider_config', 'Integration does not exist');
  const provider = resolveStoredProvider(row.provider, row.provider_definition);
  if (!provider) throw new ConnectError('unknown_provider_template', 'Provider does not exist');
  if (!modes.includes(provider.auth_mode)) {
    throw new ConnectError('invalid_auth_mode', `This integration's provider uses ${provider.auth_mode}, not ${modes.join(' or ')}`);
  }
  return {
    session,
    integration: {
      id: row.integration_id,
      uniqueKey: providerConfigKey,
      providerName: row.provider,
      provider,
      clientId: row.client_id,
      secrets: row.client_secret,
      scopes: row.scopes,
      allowedHosts: row.allowed_hosts ?? [],
    },
  };
}

export function sessionFacts(principal: Pick<ConnectSessionPrincipal, 'sessionId' | 'environmentId'>, row: ContextRow): SessionFacts {
  const endUser = row.end_user && {
    endUserId: row.end_user.endUserId,
    endUserEmail: row.end_user.endUserEmail,
    ...(row.end_user.organizationId ? { organizationId: row.end_user.organizationId } : {}),
    tags: row.end_user.tags,
  };
  return {
    sessionId: principal.sessionId,
    environmentId: principal.environmentId,
    environmentName: row.environment_name,
    callbackUrl: row.callback_url,
    allowedIntegrations: row.allowed_integrations,
    configDefaults: row.integrations_config_defaults,
    tags: row.tags,
    webhookUrlOverride: row.webhook_url_override,
    endUserRowId: row.end_user_row_id,
    endUser,
    reconnect:
      row.reconnect_row_id && row.reconnect_connection_id && row.reconnect_provider_config_key
        ? { rowId: row.reconnect_row_id, connectionId: row.reconnect_connection_id, providerConfigKey: row.reconnect_provider_config_key }
        : null,
  };
}
