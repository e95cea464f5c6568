import { randomUUID } from 'node:crypto';
import type { AuditBase, AuditEvent } from '../audit/audit-event';
import { runChange } from '../platform/db/change-statement';
import type { SqlExecutor } from '../platform/db/data-api';
import { deleteInBatches, type SweepBudget } from '../platform/db/batched-delete';
import { json, toTextArray, uuid } from '../platform/db/parameters';
import { endUserParameters, endUserUpsertSql, type EndUserRow } from '../end-users/end-user-store';
import type { EndUserInput, Organization } from '../end-users/end-user-schema';

/** A session to store: only the token's hash is ever written. */
export interface NewConnectSession {
  /** Written in the same statement when the session is created. */
  audit?: AuditEvent;
  environmentId: string;
  tokenHash: Buffer;
  expiresAt: Date;
  endUser?: EndUserInput;
  organization?: Organization;
  /** null: every integration of the environment. */
  allowedIntegrations: string[] | null;
  configDefaults: Record<string, unknown>;
  overrides: Record<string, unknown>;
  webhookUrlOverride: string | null;
  tags: Record<string, string>;
  /** Integration keys the request names; the session is stored only if all exist. */
  requiredIntegrations: string[];
  /** Reconnect: the connection (public id + integration key) the session re-authorizes. */
  reconnect?: { connectionId: string; integrationKey: string };
}

export type CreateSessionResult =
  | { kind: 'created'; id: string }
  | { kind: 'missing_integrations'; keys: string[] }
  | { kind: 'unknown_connection' };

/**
 * Validates the named integrations (and, on reconnect, the connection), upserts the end user and
 * inserts the session in ONE statement; when a check fails nothing is written.
 */
export async function insertConnectSession(db: SqlExecutor, s: NewConnectSession): Promise<CreateSessionResult> {
  const reconnect = s.reconnect !== undefined;
  const endUserCte = s.endUser ? `, eu AS (${endUserUpsertSql('(SELECT ok FROM checks)')})` : '';
  // Chosen here, so the audit record names the session it creates.
  const id = randomUUID();
  const [row] = await runChange<{ ok: boolean; missing: string[]; session_id: string | null }>(db, {
    with: `wanted AS (
       SELECT DISTINCT w.key FROM jsonb_array_elements_text(:required) AS w(key)
     ), missing AS (
       SELECT key FROM wanted w
        WHERE NOT EXISTS (SELECT 1 FROM integrations i WHERE i.environment_id = :environment_id AND i.unique_key = w.key AND i.deleted_at IS NULL)
     ), target AS (
       SELECT c.id, c.end_user_id FROM connections c JOIN integrations i ON i.id = c.integration_id AND i.deleted_at IS NULL
        WHERE :reconnect AND c.environment_id = :environment_id AND c.connection_id = :connection_id
          AND c.provider_config_key = :integration_key AND c.deleted_at IS NULL
     ), checks AS (
       SELECT NOT EXISTS (SELECT 1 FROM missing) AND (NOT :reconnect OR EXISTS (SELECT 1 FROM target)) AS ok
     )${endUserCte}, created AS (
       INSERT INTO connect_sessions (id, environment_id, token_hash, end_user_id, allowed_integrations, integrations_config_defaults,
                                     overrides, webhook_url_override, tags, connection_id, expires_at)
       SELECT :id, :environment_id, :token_hash, ${s.endUser ? '(SELECT id FROM eu)' : '(SELECT end_user_id FROM target)'},
              CAST(:allowed AS text[]), :config_defaults, :overrides, :webhook_url_override, :tags, (SELECT id FROM target), :expires_at
        WHERE (SELECT ok FROM checks)
       RETURNING id
     )`,
    select: `SELECT (SELECT ok FROM checks) AS ok,
            ARRAY(SELECT key FROM missing ORDER BY key) AS missing,
            (SELECT id FROM created) AS session_id`,
    params: {
      id: uuid(id),
      environment_id: uuid(s.environmentId),
      required: json(s.requiredIntegrations),
      reconnect,
      connection_id: s.reconnect?.connectionId ?? '',
      integration_key: s.reconnect?.integrationKey ?? '',
      token_hash: s.tokenHash,
      allowed: s.allowedIntegrations === null ? null : toTextArray(s.allowedIntegrations),
      config_defaults: json(s.configDefaults),
      overrides: json(s.overrides),
      webhook_url_override: s.webhookUrlOverride,
      tags: json(s.tags),
      expires_at: s.expiresAt,
      ...(s.endUser ? endUserParameters(s.environmentId, s.endUser, s.organization) : {}),
    },
    when: 'EXISTS (SELECT 1 FROM created)',
    happened: ([r]) => r.session_id !== null,
    audit: s.audit && { ...s.audit, targetId: id },
  });
  if (row.session_id) return { kind: 'created', id: row.session_id };
  if (row.missing.length) return { kind: 'missing_integrations', keys: row.missing };
  return { kind: 'unknown_connection' };
}

export interface ConnectSessionRow {
  allowed_integrations: string[] | null;
  integrations_config_defaults: Record<string, unknown>;
  overrides: Record<string, unknown>;
  webhook_url_override: string | null;
  tags: Record<string, string>;
  connection_id: string | null;
  expires_at: Date;
  end_user: Pick<EndUserRow, 'end_user_id' | 'email' | 'display_name' | 'organization_id' | 'organization_display_name' | 'tags'> | null;
}

/** The session behind a token already authenticated, with its end user. */
export async function getConnectSession(db: SqlExecutor, environmentId: string, sessionId: string): Promise<ConnectSessionRow | undefined> {
  const [row] = await db.query<Omit<ConnectSessionRow, 'end_user'> & { end_user: ConnectSessionRow['end_user'] | null }>(
    `SELECT s.allowed_integrations, s.integrations_config_defaults, s.overrides, s.webhook_url_override, s.tags,
            s.connection_id, s.expires_at,
            CASE WHEN u.id IS NULL THEN NULL ELSE jsonb_build_object(
              'end_user_id', u.end_user_id, 'email', u.email, 'display_name', u.display_name,
              'organization_id', u.organization_id, 'organization_display_name', u.organization_display_name, 'tags', u.tags) END AS end_user
       FROM connect_sessions s LEFT JOIN end_users u ON u.id = s.end_user_id
      WHERE s.id = :id AND s.environment_id = :environment_id`,
    { id: uuid(sessionId), environment_id: uuid(environmentId) },
  );
  return row;
}

/** Deletes the session, so its token stops authenticating at once. */
export async function deleteConnectSession(db: SqlExecutor, environmentId: string, sessionId: string, audit?: AuditBase): Promise<boolean> {
  const rows = await runChange(db, {
    with: 'gone AS (DELETE FROM connect_sessions WHERE id = :id AND environment_id = :environment_id RETURNING id)',
    select: 'SELECT id FROM gone',
    params: { id: uuid(sessionId), environment_id: uuid(environmentId) },
    when: 'EXISTS (SELECT 1 FROM gone)',
    audit: audit && { ...audit, action: 'connect_session.delete', targetType: 'connect_session', targetId: sessionId },
  });
  return rows.length > 0;
}

/** The live session a token hash belongs to, with its environment's name (authentication). */
export async function findLiveSessionByTokenHash(db: SqlExecutor, tokenHash: Buffer, now: Date): Promise<{ id: string; environment_id: string; environment_name: string } | undefined> {
  const [row] = await db.query<{ id: string; environment_id: string; environment_name: string }>(
    `SELECT s.id, s.environment_id, e.name AS environment_name
       FROM connect_sessions s JOIN environments e ON e.id = s.environment_id
      WHERE s.token_hash = :hash AND s.expires_at > :now`,
    { hash: tokenHash, now },
    { idempotent: true },
  );
  return row;
}

/** Deletes sessions that expired before `now`, in batches within the budget; how many. */
export function deleteExpiredConnectSessions(db: SqlExecutor, now: Date, budget: SweepBudget): Promise<number> {
  return deleteInBatches(db, 'connect_sessions', 'SELECT id FROM connect_sessions WHERE expires_at < :now', { now }, budget);
}
