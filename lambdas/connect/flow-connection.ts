import { randomUUID } from 'node:crypto';
import type { AuditBase, AuditEvent } from '../audit/audit-event';
import { connectionEvent, insertConnection, overrideConnection, type ConnectionKey } from '../connections/connection-store';
import { credentialsBinding, type StoredCredentials } from '../connections/credentials';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { runChange } from '../platform/db/change-statement';
import { uuid } from '../platform/db/parameters';
import { authEventPayload } from '../connections/auth-event';
import { newOutboxEvent } from '../platform/events/outbox-event';
import type { ConnectContext } from './connect-facts';
import { ConnectError } from './errors';

/**
 * The end of every connect flow: the connection is written with its audit event and its `auth`
 * outbox event in ONE statement, so the webhook exists exactly when the connection does. A new
 * connection gets a server-generated UUID v4; a reconnect session overrides its connection.
 */

export type FlowKind = 'oauth2' | 'oauth2_cc' | 'api_key' | 'basic';

export interface FlowCredentials {
  credentials: StoredCredentials;
  expiresAt: Date | null;
  connectionConfig: Record<string, unknown>;
}

export interface FlowOutcome {
  connectionId: string;
  providerConfigKey: string;
  operation: 'creation' | 'override';
}

export async function saveFlowConnection(
  deps: { db: SqlExecutor; cipher: EnvelopeCipher },
  ctx: ConnectContext,
  flow: FlowKind,
  input: FlowCredentials,
  now: Date,
  audit: AuditBase,
): Promise<FlowOutcome> {
  const { session, integration } = ctx;
  const reconnect = session.reconnect;
  const key: ConnectionKey = { environmentId: session.environmentId, providerConfigKey: integration.uniqueKey, connectionId: reconnect?.connectionId ?? randomUUID() };
  const rowId = reconnect?.rowId ?? randomUUID();
  const operation = reconnect ? 'override' : 'creation';
  const write = {
    rowId,
    integrationId: integration.id,
    provider: integration.providerName,
    endUserRowId: session.endUserRowId ?? undefined,
    credentials: await deps.cipher.encryptJson(input.credentials, credentialsBinding(session.environmentId, rowId)),
    credentialsExpiresAt: input.expiresAt,
    connectionConfig: input.connectionConfig,
    tags: session.tags,
    // A reconnect keeps the connection's own override unless the session sets one.
    webhookUrlOverride: session.webhookUrlOverride ?? (reconnect ? undefined : null),
  };
  const event = connectionEvent(audit, key, reconnect ? 'connection.reconnect' : 'connection.create', { flow, operation, auth_mode: integration.provider.auth_mode });
  const outbox = newOutboxEvent(
    session.environmentId,
    'auth',
    authEventPayload({
      environmentName: session.environmentName,
      connectionId: key.connectionId,
      providerConfigKey: key.providerConfigKey,
      provider: integration.providerName,
      authMode: integration.provider.auth_mode,
      operation,
      success: true,
      tags: session.tags,
      endUser: session.endUser,
    }),
  );
  const row = reconnect
    ? await overrideConnection(deps.db, session.environmentId, write, now, event, outbox)
    : await insertConnection(deps.db, key, write, now, event, outbox);
  // A new row cannot collide (fresh UUID); an override misses only if the connection was deleted meanwhile.
  if (!row) throw new ConnectError('invalid_connection', 'The connection this session reconnects no longer exists');
  return { connectionId: key.connectionId, providerConfigKey: key.providerConfigKey, operation };
}

/**
 * A flow that failed after its session was known: a `connect.failure` audit row and a failed
 * `auth` event (operation `creation`, or `override` for a reconnect, as Nango), in one statement.
 * Both are written although the request fails: that is what they record.
 */
export async function recordFlowFailure(db: SqlExecutor, ctx: Pick<ConnectContext, 'session'> & { integration?: ConnectContext['integration'] }, providerConfigKey: string, flow: FlowKind, error: ConnectError, audit: AuditBase): Promise<void> {
  const { session, integration } = ctx;
  const event: AuditEvent = {
    ...audit,
    outcome: 'failure',
    action: 'connect.failure',
    targetType: 'integration',
    targetId: integration?.id ?? null,
    detail: { flow, provider_config_key: providerConfigKey, error_type: error.reason, reconnect: session.reconnect !== null },
  };
  const outbox = newOutboxEvent(
    session.environmentId,
    'auth',
    authEventPayload({
      environmentName: session.environmentName,
      connectionId: session.reconnect?.connectionId ?? '',
      providerConfigKey,
      provider: integration?.providerName ?? 'unknown',
      authMode: integration?.provider.auth_mode ?? 'OAUTH2',
      operation: session.reconnect ? 'override' : 'creation',
      success: false,
      error: { type: error.reason, description: error.message },
    }),
    session.webhookUrlOverride,
  );
  await runChange(db, {
    when: 'true',
    audit: event,
    events: [
      session.reconnect
        ? { event: outbox, connectionIdSql: ':failed_connection_id', params: { failed_connection_id: uuid(session.reconnect.rowId) } }
        : { event: outbox },
    ],
  });
}
