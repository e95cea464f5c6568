import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { ConnectSessionTokenSchema, CreateSessionBody, ReconnectSessionBody } from '../../../connect-sessions/connect-session-schema';
import { createConnectSession, createReconnectSession, toApiConnectSession, type CreatedSession } from '../../../connect-sessions/connect-session-service';
import { deleteConnectSession, getConnectSession } from '../../../connect-sessions/connect-session-store';
import { ApiError, emptyResult, jsonResult } from '../../../http/errors';
import { auditFrom } from '../../../http/audit-request';
import { defineRoute, type AnyRoute } from '../../../http/route';
import { publicBaseUrl } from '../../../http/public-url';
import { setting } from '../../../platform/config';

/* Nango's connect sessions (reference §2.1, §7), wire-compatible with @nangohq/node. */

const Created = z.object({ data: z.object({ token: ConnectSessionTokenSchema, connect_link: z.string(), expires_at: z.string() }) });

/** 201 with the token (shown once; only its hash is stored) and the link to our Connect UI. */
function createdResult(event: APIGatewayProxyEvent, session: CreatedSession) {
  const connect_link = `${publicBaseUrl(event)}/connect?session_token=${encodeURIComponent(session.token)}`;
  return jsonResult(201, { data: { token: session.token, connect_link, expires_at: session.expiresAt.toISOString() } }, { 'cache-control': 'no-store' });
}

export const createSessionRoute = defineRoute({
  method: 'POST',
  path: '/connect/sessions',
  summary: 'Creates a 30-minute connect session for an end user; the token is shown once',
  tag: 'Connect sessions',
  auth: 'secret_key',
  scope: 'environment:connect_sessions:write',
  body: CreateSessionBody,
  responses: { 201: { description: 'The session token and Connect UI link', schema: Created }, 400: { description: 'Invalid body or unknown integration' } },
  handle: async (request) => {
    const { db, principal, body, now, event } = request;
    const session = await createConnectSession(db, await request.services.secretHasher(), { environmentId: principal.environmentId, now, audit: auditFrom(request) }, body);
    return createdResult(event, session);
  },
});

export const createReconnectSessionRoute = defineRoute({
  method: 'POST',
  path: '/connect/sessions/reconnect',
  summary: 'Creates a connect session that re-authorizes one existing connection',
  tag: 'Connect sessions',
  auth: 'secret_key',
  scope: 'environment:connect_sessions:write',
  body: ReconnectSessionBody,
  responses: { 201: { description: 'The session token and Connect UI link', schema: Created }, 400: { description: 'Invalid body or unknown connection' } },
  handle: async (request) => {
    const { db, principal, body, now, event } = request;
    const session = await createReconnectSession(db, await request.services.secretHasher(), { environmentId: principal.environmentId, now, audit: auditFrom(request) }, body);
    return createdResult(event, session);
  },
});

export const getSessionRoute = defineRoute({
  method: 'GET',
  path: '/connect/session',
  summary: 'The calling connect session (connect session token only), for the Connect UI',
  tag: 'Connect sessions',
  auth: 'connect_session',
  responses: { 200: { description: 'The session', schema: z.object({ data: z.record(z.string(), z.unknown()) }) } },
  handle: async ({ db, principal }) => {
    const { environmentId, sessionId } = principal;
    const row = await getConnectSession(db, environmentId, sessionId);
    // Deleted between authentication and this read.
    if (!row) throw new ApiError(401, 'unknown_connect_session_token', 'Authentication failed: the connect session token is expired, deleted or unknown.');
    return jsonResult(200, { data: toApiConnectSession(row, setting('LATCHKEY_WEBSOCKET_URL')) }, { 'cache-control': 'no-store' });
  },
});

export const deleteSessionRoute = defineRoute({
  method: 'DELETE',
  path: '/connect/session',
  summary: 'Ends the calling connect session: its token stops working at once',
  tag: 'Connect sessions',
  auth: 'connect_session',
  responses: { 204: { description: 'Deleted' } },
  handle: async (request) => {
    const { environmentId, sessionId } = request.principal;
    await deleteConnectSession(request.db, environmentId, sessionId, auditFrom(request));
    return emptyResult(204);
  },
});

export const CONNECT_SESSION_ROUTES: AnyRoute[] = [createSessionRoute, createReconnectSessionRoute, getSessionRoute, deleteSessionRoute];
