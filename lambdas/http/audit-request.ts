import type { APIGatewayProxyEvent } from 'aws-lambda';
import { actorOf, type AuditBase, type AuditRequestInfo } from '../audit/audit-event';
import type { Principal } from '../auth/principal';

/** Who and where from, as API Gateway saw the request. */
export function requestInfo(event: APIGatewayProxyEvent, requestId: string): AuditRequestInfo {
  const userAgent = event.requestContext?.identity?.userAgent ?? null;
  return {
    requestId: requestId || null,
    sourceIp: event.requestContext?.identity?.sourceIp ?? null,
    // Bounded: a user agent is caller-controlled text.
    userAgent: userAgent ? userAgent.slice(0, 512) : null,
  };
}

export function auditFrom(request: { principal: Principal; event: APIGatewayProxyEvent; requestId: string }): AuditBase {
  return { environmentId: request.principal.environmentId, actor: actorOf(request.principal), request: requestInfo(request.event, request.requestId), outcome: 'success' };
}
