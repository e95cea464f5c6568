import * as z from 'zod';
import type { Principal } from '../../../auth/principal';
import { hasScope } from '../../../auth/scopes';
import { ApiError, jsonResult } from '../../../http/errors';
import { auditFrom } from '../../../http/audit-request';
import { defineRoute, type AnyRoute } from '../../../http/route';
import { AllowedHostsSchema, IntegrationCredentialsSchema, IntegrationKeySchema, StringMapSchema } from '../../../integrations/integration-schema';
import { createIntegration, deleteIntegration, openSecrets, updateIntegration } from '../../../integrations/integration-service';
import { getIntegration, listIntegrations } from '../../../integrations/integration-store';
import { toApiIntegration } from '../../../integrations/public-integration';
import { publicBaseUrl } from '../../../http/public-url';
import { pagedList } from '../../../http/paged-list';
import { cursorParam, MAX_PAGE_ROWS, pageLimit } from '../../../http/pagination';
import { decodeKeysetCursor, encodeKeysetCursor } from '../../../platform/db/keyset-cursor';

/* Nango's /integrations (reference §2.2), wire-compatible with @nangohq/node. */

const READ_CREDENTIALS = 'environment:integrations:read_credentials';

const Include = z.enum(['webhook', 'credentials']);
// The SDK sends only the last value; a raw client may repeat the parameter.
const GetQuery = z.object({ include: z.union([Include, z.array(Include).max(2)]).optional() }).strict();
const KeyParams = z.object({ uniqueKey: IntegrationKeySchema });
/** Our extension (Nango's list takes no parameters): pages of at most `limit`, resumed at `cursor`. */
const ListQuery = z.object({ limit: pageLimit(MAX_PAGE_ROWS), cursor: cursorParam(decodeKeysetCursor) }).strict();

const CreateBody = z
  .object({
    // A lookup, not a definition: any name that is not a provider is Nango's "Invalid provider".
    provider: z.string().min(1).max(255),
    unique_key: IntegrationKeySchema,
    display_name: z.string().min(1).max(255).optional(),
    forward_webhooks: z.boolean().optional(),
    credentials: IntegrationCredentialsSchema.optional(),
    integration_config: StringMapSchema.optional(),
    custom: StringMapSchema.optional(),
    /** Our extension: hosts end users may choose (README "What an end user may set"). */
    allowed_hosts: AllowedHostsSchema.optional(),
  })
  .strict();

const PatchBody = CreateBody.omit({ provider: true }).partial().strict();

const PublicIntegration = z.object({
  unique_key: z.string(),
  provider: z.string(),
  display_name: z.string(),
  logo: z.string(),
  forward_webhooks: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
  webhook_url: z.string().nullable().optional(),
  credentials: z.record(z.string(), z.unknown()).nullable().optional(),
  allowed_hosts: z.array(z.string()).optional(),
});
const One = z.object({ data: PublicIntegration });

/** Nango accepts any one of several scopes on some routes; our route definitions hold one. */
function requireAnyScope(principal: Principal, scopes: string[]): void {
  if (principal.kind !== 'secret_key') return;
  if (!scopes.some((scope) => hasScope(principal.scopes, scope))) {
    throw new ApiError(403, 'forbidden', `Insufficient scope. Required: ${scopes.join(' or ')}`);
  }
}

/**
 * allowed_hosts decides where end users may send the integration's client secret, so setting it
 * needs the scope that could read that secret anyway.
 */
function requireAllowedHostsScope(principal: Principal, allowedHosts: string[] | undefined): void {
  if (allowedHosts === undefined || principal.kind !== 'secret_key' || hasScope(principal.scopes, READ_CREDENTIALS)) return;
  throw new ApiError(403, 'forbidden', `Insufficient scope. Setting allowed_hosts requires: ${READ_CREDENTIALS}`);
}

export const listIntegrationsRoute = defineRoute({
  method: 'GET',
  path: '/integrations',
  summary: "The environment's integrations (with a connect session token: those the session allows). Scope environment:integrations:list or :list_credentials",
  tag: 'Integrations',
  auth: 'secret_key_or_connect_session',
  query: ListQuery,
  responses: {
    200: {
      description: 'Integrations in creation order; next_cursor (our extension) is set when the page ended before the list did',
      schema: z.object({ data: z.array(PublicIntegration), next_cursor: z.string().nullable() }),
    },
  },
  handle: async ({ db, principal, event, query }) => {
    requireAnyScope(principal, ['environment:integrations:list', 'environment:integrations:list_credentials']);
    const sessionId = principal.kind === 'connect_session' ? principal.sessionId : undefined;
    const base = publicBaseUrl(event);
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: (after, rows) => listIntegrations(db, principal.environmentId, sessionId, after, rows),
      cursorOf: (row) => ({ at: row.cursor_at, id: row.id }),
      item: (row) => toApiIntegration(row, base),
    });
    return jsonResult(200, { data: page.items, next_cursor: page.next ? encodeKeysetCursor(page.next) : null });
  },
});

export const getIntegrationRoute = defineRoute({
  method: 'GET',
  path: '/integrations/{uniqueKey}',
  summary: 'One integration; include=credentials needs scope environment:integrations:read_credentials. Scope environment:integrations:read or :read_credentials',
  tag: 'Integrations',
  auth: 'secret_key',
  query: GetQuery,
  params: KeyParams,
  responses: { 200: { description: 'The integration', schema: One }, 403: { description: 'Missing scope' }, 404: { description: 'No such integration' } },
  handle: async (request) => {
    const { db, principal, event, params, query, services } = request;
    requireAnyScope(principal, ['environment:integrations:read', READ_CREDENTIALS]);
    const include = new Set(query.include === undefined ? [] : [query.include].flat());
    const withCredentials = include.has('credentials');
    if (withCredentials && principal.kind === 'secret_key' && !hasScope(principal.scopes, READ_CREDENTIALS)) {
      throw new ApiError(403, 'forbidden', `Insufficient scope. Required: ${READ_CREDENTIALS}`);
    }
    const row = await getIntegration(db, principal.environmentId, params.uniqueKey, {
      withSecret: withCredentials,
      audit: withCredentials ? { ...auditFrom(request), action: 'integration.credentials.read', targetType: 'integration', targetId: null, detail: { unique_key: params.uniqueKey } } : undefined,
    });
    if (!row) throw new ApiError(404, 'not_found', `Integration "${params.uniqueKey}" does not exist`);
    const secrets = withCredentials ? (row.client_secret ? await openSecrets(services.cipher, principal.environmentId, row.id, row.client_secret) : {}) : undefined;
    const headers: Record<string, string> = withCredentials ? { 'cache-control': 'no-store' } : {};
    return jsonResult(200, { data: toApiIntegration(row, publicBaseUrl(event), { webhook: include.has('webhook'), secrets }) }, headers);
  },
});

export const createIntegrationRoute = defineRoute({
  method: 'POST',
  path: '/integrations',
  summary: 'Creates an integration (200, as Nango); client secrets, private keys and webhook secrets are stored envelope-encrypted',
  tag: 'Integrations',
  auth: 'secret_key',
  scope: 'environment:integrations:create',
  body: CreateBody,
  responses: { 200: { description: 'The new integration', schema: One }, 400: { description: 'Invalid body, unknown provider or duplicate key' } },
  handle: async (request) => {
    const { db, principal, event, body, services } = request;
    requireAllowedHostsScope(principal, body.allowed_hosts?.length ? body.allowed_hosts : undefined);
    const row = await createIntegration(db, services.cipher, services.providers, principal.environmentId, body, auditFrom(request));
    return jsonResult(200, { data: toApiIntegration(row, publicBaseUrl(event)) });
  },
});

export const patchIntegrationRoute = defineRoute({
  method: 'PATCH',
  path: '/integrations/{uniqueKey}',
  summary: 'Changes an integration; unique_key renames it (refused while it has connections); credentials replace the stored ones',
  tag: 'Integrations',
  auth: 'secret_key',
  scope: 'environment:integrations:update',
  params: KeyParams,
  body: PatchBody,
  responses: { 200: { description: 'The integration as it now is', schema: One }, 400: { description: 'Invalid body' }, 404: { description: 'No such integration' } },
  handle: async (request) => {
    const { db, principal, event, params, body, services } = request;
    requireAllowedHostsScope(principal, body.allowed_hosts);
    const row = await updateIntegration(db, services.cipher, principal.environmentId, params.uniqueKey, body, auditFrom(request));
    return jsonResult(200, { data: toApiIntegration(row, publicBaseUrl(event)) });
  },
});

export const deleteIntegrationRoute = defineRoute({
  method: 'DELETE',
  path: '/integrations/{uniqueKey}',
  summary: 'Deletes an integration and, in the same statement, its connections',
  tag: 'Integrations',
  auth: 'secret_key',
  scope: 'environment:integrations:delete',
  params: KeyParams,
  responses: { 200: { description: 'Deleted', schema: z.object({ success: z.literal(true) }) }, 404: { description: 'No such integration' } },
  handle: async (request) => {
    const { db, principal, params, now } = request;
    await deleteIntegration(db, principal.environmentId, params.uniqueKey, now, auditFrom(request));
    return jsonResult(200, { success: true });
  },
});

export const INTEGRATION_ROUTES: AnyRoute[] = [listIntegrationsRoute, getIntegrationRoute, createIntegrationRoute, patchIntegrationRoute, deleteIntegrationRoute];
