import { boundedAuditDetail } from './audit-detail';
import { logger } from './logger';

/**
 * An audit record as data: what `audit_events` stores and the log line says (the audit domain's
 * AuditEvent is one). Small and secret-free: ids, names, changed field names, counts.
 */
export interface AuditRecord {
  environmentId: string | null;
  actor: { type: string; id: string | null };
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: 'success' | 'failure';
  detail?: Record<string, unknown>;
  request: { requestId: string | null; sourceIp: string | null; userAgent: string | null };
}

/** One JSON line per event, OpenTelemetry-style attribute names, for CloudWatch Logs subscriptions. */
export function logAuditLine(event: AuditRecord): void {
  logger.info('audit', {
    'event.name': 'latchkey.audit',
    'event.action': event.action,
    'event.outcome': event.outcome,
    'latchkey.environment.id': event.environmentId,
    'latchkey.actor.type': event.actor.type,
    'latchkey.actor.id': event.actor.id,
    'latchkey.target.type': event.targetType,
    'latchkey.target.id': event.targetId,
    'latchkey.request.id': event.request.requestId,
    'client.address': event.request.sourceIp,
    'user_agent.original': event.request.userAgent,
    'latchkey.detail': boundedAuditDetail(event.detail ?? {}),
  });
}
