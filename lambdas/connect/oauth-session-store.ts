import { createHash } from 'node:crypto';
import type { AuditEvent } from '../audit/audit-event';
import type { CipherBinding } from '../platform/crypto/binding';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';
import { json, uuid } from '../platform/db/parameters';
import { CONTEXT_COLUMNS, contextJoins, type ContextRow } from './connect-context-store';

/**
 * One-time OAuth sessions: the state between the authorize redirect and the provider's callback.
 * Only hashes of the state and of the browser-binding cookie are stored; the PKCE verifier and any
 * client-secret or refresh-token override sit in one envelope bound to the row.
 */

export const OAUTH_SESSION_TTL_MS = 10 * 60 * 1000;

/** What the callback needs besides the secrets; never a secret itself. */
export interface OAuthSessionRequest {
  providerConfigKey: string;
  connectionConfig: Record<string, unknown>;
  /** Keys of connectionConfig the end user set: the code exchange re-checks the hosts they choose. */
  endUserKeys?: string[];
  /** The end user's own OAuth client id (`credentials[oauth_client_id_override]`). */
  clientIdOverride?: string;
}

export interface OAuthSessionSecrets {
  code_verifier?: string;
  client_secret_override?: string;
  refresh_token_override?: string;
}

export function oauthSessionBinding(environmentId: string, id: string): CipherBinding {
  return { environmentId, purpose: 'oauth-session', table: 'oauth_sessions', rowId: id, field: 'secrets' };
}

/** SHA-256: the state and the cookie value are 256-bit random, so no pepper or stretching is needed. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export interface NewOAuthSession {
  id: string;
  environmentId: string;
  stateHash: Buffer;
  browserBindingHash: Buffer;
  connectSessionId: string;
  integrationId: string;
  reconnectRowId: string | null;
  secrets: Buffer | null;
  redirectUri: string;
  request: OAuthSessionRequest;
  wsClientId: string | null;
  expiresAt: Date;
}

/** One statement, with its audit event. */
export async function insertOAuthSession(db: SqlExecutor, s: NewOAuthSession, audit?: AuditEvent): Promise<void> {
  await runChange(db, {
    with: `created AS (
       INSERT INTO oauth_sessions (id, environment_id, state_hash, browser_binding_hash, connect_session_id, integration_id, connection_id,
                                   secrets, redirect_uri, request, ws_client_id, expires_at)
       VALUES (:id, :environment_id, :state_hash, :browser_binding_hash, :connect_session_id, :integration_id, CAST(:connection_id AS uuid),
               :secrets, :redirect_uri, :request, :ws_client_id, :expires_at)
       RETURNING id
     )`,
    select: 'SELECT id FROM created',
    params: {
      id: uuid(s.id),
      environment_id: uuid(s.environmentId),
      state_hash: s.stateHash,
      browser_binding_hash: s.browserBindingHash,
      connect_session_id: uuid(s.connectSessionId),
      integration_id: uuid(s.integrationId),
      connection_id: s.reconnectRowId,
      secrets: s.secrets,
      redirect_uri: s.redirectUri,
      request: json(s.request),
      ws_client_id: s.wsClientId,
      expires_at: s.expiresAt,
    },
    when: 'EXISTS (SELECT 1 FROM created)',
    audit,
  });
}

export interface ConsumedOAuthSession extends ContextRow {
  id: string;
  environment_id: string;
  connect_session_id: string;
  browser_binding_hash: Buffer;
  /** The reconnect target fixed at authorize time. */
  connection_id: string | null;
  secrets: Buffer | null;
  redirect_uri: string;
  request: OAuthSessionRequest;
  ws_client_id: string | null;
  expires_at: Date;
  /** The connect session expired before the callback: the flow may not finish. */
  connect_session_expired: boolean;
}

/**
 * Takes the session of `stateHash` out of the table and returns it with the facts of its connect
 * session and integration, in ONE statement. Whatever happens next, the state is spent: a replayed
 * callback finds nothing. Undefined for an unknown (or already used) state.
 */
export async function consumeOAuthSession(db: SqlExecutor, stateHash: Buffer, now: Date): Promise<ConsumedOAuthSession | undefined> {
  // A deleted connect session takes its OAuth sessions with it (ON DELETE CASCADE); an expired one is reported.
  const [row] = await db.query<ConsumedOAuthSession>(
    `WITH g AS (DELETE FROM oauth_sessions WHERE state_hash = :state_hash RETURNING *)
     SELECT g.id, g.environment_id, g.connect_session_id, g.browser_binding_hash, g.connection_id, g.secrets, g.redirect_uri,
            g.request, g.ws_client_id, g.expires_at, s.expires_at <= :now AS connect_session_expired, ${CONTEXT_COLUMNS}
       FROM g
       JOIN connect_sessions s ON s.id = g.connect_session_id
       ${contextJoins('i.id = g.integration_id')}`,
    { state_hash: stateHash, now },
  );
  return row;
}

/** Deletes sessions that expired before `now`, in batches within the budget; how many. */
export function deleteExpiredOAuthSessions(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(db, 'oauth_sessions', 'SELECT id FROM oauth_sessions WHERE expires_at < :now', { now }, budget);
}
