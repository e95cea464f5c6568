import type { Principal } from '../auth/principal';

/** Every action the audit log knows; a new feature adds its own here (README: contributor notes). */
export const AUDIT_ACTIONS = [
  'environment.settings.update',
  'environment.webhook_signing_key.rotate',
  'environment.webhook_signing_key.create',
  'environment.webhook_signing_key.read',
  'api_key.create',
  'api_key.revoke',
  'provider.put',
  'provider.delete',
  'integration.create',
  'integration.update',
  'integration.delete',
  'integration.credentials.read',
  'connect_session.create',
  'connect_session.delete',
  'connect.oauth.authorize',
  'connect.failure',
  'connection.create',
  'connection.reconnect',
  'connection.import',
  'connection.update',
  'connection.metadata.update',
  'connection.delete',
  'connection.purge',
  'connection.hard_delete',
  'connection.credentials.read',
  'connection.refresh.success',
  'connection.refresh.failure',
  'proxy.call',
  'audit.retention.sweep',
  'webhook.delivery.replay',
  'retention.sweep',
  'refresh.sweep',
  'records.ingest',
  'sync_run.write',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type ActorType = 'secret_key' | 'connect_session' | 'end_user' | 'system';

export interface AuditActor {
  type: ActorType;
  /** Secret key id, connect session id, end user id, or the sweep's name: never a credential. */
  id: string | null;
}

export interface AuditRequestInfo {
  requestId: string | null;
  sourceIp: string | null;
  userAgent: string | null;
}

export interface AuditEvent {
  environmentId: string | null;
  actor: AuditActor;
  action: AuditAction;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  /** Small and secret-free: ids, names, changed field names, counts. */
  detail?: Record<string, unknown>;
  request: AuditRequestInfo;
}

export function actorOf(principal: Principal | undefined): AuditActor {
  if (!principal) return { type: 'system', id: null };
  return principal.kind === 'secret_key' ? { type: 'secret_key', id: principal.keyId } : { type: 'connect_session', id: principal.sessionId };
}

export const SYSTEM_REQUEST: AuditRequestInfo = { requestId: null, sourceIp: null, userAgent: null };

/** The parts of an event every API route shares; the domain adds action, target and detail. */
export type AuditBase = Pick<AuditEvent, 'environmentId' | 'actor' | 'request' | 'outcome'>;
