import * as z from 'zod';
import { auditFrom } from '../../../http/audit-request';
import { hasScope } from '../../../auth/scopes';
import { importConnection } from '../../../connections/connection-import';
import { getConnectionForApi } from '../../../connections/connection-read';
import { toPublicConnection, toPublicConnectionFull } from '../../../connections/connection-format';
import { refreshConnection } from '../../../connections/refresh/refresh-coordinator';
import { connectionEvent, listConnections, softDeleteConnection, writeMetadata, type ConnectionKey } from '../../../connections/connection-store';
import { purgeConnection } from '../../../connections/connection-purge';
import { updateConnection } from '../../../connections/connection-update';
import { CredentialsInputSchema } from '../../../connections/credentials';
import { ConnectionIdSchema } from '../../../connections/connection-schema';
import { EndUserIdSchema, EndUserInputSchema, OrganizationIdSchema, TagsSchema } from '../../../end-users/end-user-schema';
import { WebhookUrlOverrideSchema } from '../../../environments/environment-schema';
import { IntegrationKeySchema } from '../../../integrations/integration-schema';
import { ApiError, jsonResult } from '../../../http/errors';
import { capped, STORED_DOCUMENT_LIMITS } from '../../../platform/db/stored-document';
import { errorEnvelope } from '../../../http/openapi';
import { defineRoute, type AnyRoute } from '../../../http/route';
import { pagedList } from '../../../http/paged-list';
import { cursorParam, MAX_PAGE_ROWS, pageLimit } from '../../../http/pagination';
import { decodeSequenceCursor, encodeSequenceCursor } from '../../../platform/db/keyset-cursor';

/* Nango's connection routes (§2.3 of the reference), wire-compatible with @nangohq/node. */

const READ_CREDENTIALS = 'environment:connections:read_credentials';

const ConnectionId = ConnectionIdSchema;
const ProviderConfigKey = IntegrationKeySchema;
const WebhookUrlOverride = WebhookUrlOverrideSchema;
const JsonObject = z.record(z.string(), z.unknown());

const ConnectionParams = z.object({ connectionId: ConnectionId }).strict();
const ProviderConfigKeyQuery = z.object({ provider_config_key: ProviderConfigKey }).strict();
/** `purge=true` (our extension): erase at once instead of after the retention period. */
const DeleteQuery = z.object({ provider_config_key: ProviderConfigKey, purge: z.stringbool().default(false) }).strict();
/** A purge erases what it can within the request (API Gateway gives up at 29 s); the sweep finishes the rest. */
const PURGE_BUDGET_MS = 15_000;

const ListQuery = z
  .object({
    connectionId: ConnectionId.optional(),
    search: z.string().min(1).max(255).optional(),
    endUserId: EndUserIdSchema.optional(),
    endUserOrganizationId: OrganizationIdSchema.optional(),
    integrationId: z
      .string()
      .max(10_000)
      .transform((value) => value.split(',').map((key) => key.trim()).filter(Boolean))
      .optional(),
    tags: TagsSchema.optional(),
    // Nango's default when no limit is given; a page also ends where the response budget does.
    limit: pageLimit(MAX_PAGE_ROWS),
    page: z.coerce.number().int().min(0).max(1_000_000).optional(),
    /** Our extension: `next_cursor` of the previous page (the SDK ignores both). */
    cursor: cursorParam(decodeSequenceCursor),
  })
  .strict()
  .refine((q) => q.cursor === undefined || q.page === undefined, { message: 'Give either page or cursor', path: ['cursor'] });

const GetQuery = z
  .object({
    provider_config_key: ProviderConfigKey,
    refresh_token: z.stringbool().default(false),
    force_refresh: z.stringbool().default(false),
    refresh_github_app_jwt_token: z.stringbool().default(false),
  })
  .strict();

const ImportBody = z
  .object({
    provider_config_key: ProviderConfigKey,
    connection_id: ConnectionId.optional(),
    metadata: capped(JsonObject, STORED_DOCUMENT_LIMITS.connectionMetadata).optional(),
    connection_config: capped(
      z.object({ oauth_scopes_override: z.array(z.string().max(500)).max(100).optional() }).catchall(z.unknown()),
      STORED_DOCUMENT_LIMITS.connectionConfig,
    ).optional(),
    webhook_url_override: WebhookUrlOverride.optional(),
    end_user: EndUserInputSchema.optional(),
    tags: TagsSchema.optional(),
    credentials: capped(CredentialsInputSchema, STORED_DOCUMENT_LIMITS.connectionCredentials),
  })
  .strict();

const PatchBody = z.object({ end_user: EndUserInputSchema.optional(), tags: TagsSchema.optional(), webhook_url_override: WebhookUrlOverride.optional() }).strict();

const MetadataBody = z
  .object({
    connection_id: z.union([ConnectionId, z.array(ConnectionId).min(1).max(1000)]),
    provider_config_key: ProviderConfigKey,
    metadata: capped(JsonObject, STORED_DOCUMENT_LIMITS.connectionMetadata),
  })
  .strict();

/* Response shapes, for the OpenAPI document. */
const EndUserOut = z
  .object({
    id: z.string(),
    display_name: z.string().nullable(),
    email: z.string().nullable(),
    tags: z.record(z.string(), z.string()).nullable(),
    organization: z.object({ id: z.string(), display_name: z.string().nullable() }).nullable(),
  })
  .nullable();
const ConnectionOut = z.object({
  id: z.number().int(),
  connection_id: z.string(),
  provider_config_key: z.string(),
  provider: z.string(),
  errors: z.array(z.object({ type: z.string(), log_id: z.string() })),
  end_user: EndUserOut,
  tags: z.record(z.string(), z.string()),
  metadata: JsonObject.nullable(),
  created: z.string(),
});
const ConnectionFullOut = ConnectionOut.omit({ created: true }).extend({
  connection_config: JsonObject,
  webhook_url_override: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  last_fetched_at: z.string().nullable(),
  credentials: JsonObject,
  refresh: z
    .object({
      last_success_at: z.string().nullable(),
      last_failure_at: z.string().nullable(),
      consecutive_failures: z.number().int(),
      backoff_until: z.string().nullable(),
      needs_reauthorization: z.boolean(),
    })
    .describe('Token refresh health (our extension)'),
});
const Success = z.object({ success: z.boolean() });
/** A refresh on read that failed: the connection (credentials {}) rides along in `payload`. */
const RefreshFailed = errorEnvelope({ payload: z.object({ connection: ConnectionFullOut }).optional() });

const keyOf = (environmentId: string, providerConfigKey: string, connectionId: string): ConnectionKey => ({ environmentId, providerConfigKey, connectionId });

const unknownProviderConfig = () => new ApiError(400, 'unknown_provider_config', 'Provider does not exists');
const connectionNotFound = () => new ApiError(404, 'not_found', 'Failed to find connection');

export const listConnectionsRoute = defineRoute({
  method: 'GET',
  path: '/connections',
  summary: 'Lists connections in creation order, filtered',
  tag: 'Connections',
  auth: 'secret_key',
  scope: 'environment:connections:list',
  query: ListQuery,
  responses: {
    200: {
      description: 'The connections; next_cursor (our extension) is set when the page ended before the list did (at `limit`, or where the response would pass its size budget)',
      schema: z.object({ connections: z.array(ConnectionOut), next_cursor: z.string().nullable() }),
    },
  },
  handle: async ({ db, principal, query }) => {
    const filter = {
      connectionId: query.connectionId,
      search: query.search,
      endUserId: query.endUserId,
      endUserOrganizationId: query.endUserOrganizationId,
      integrationIds: query.integrationId,
      tags: query.tags,
    };
    const offset = query.limit * (query.page ?? 0);
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: (afterSeq, rows) => listConnections(db, principal.environmentId, filter, { afterSeq, rows, offset: afterSeq === undefined ? offset : 0 }),
      cursorOf: (row) => Number(row.seq),
      item: toPublicConnection,
    });
    return jsonResult(200, { connections: page.items, next_cursor: page.next === undefined ? null : encodeSequenceCursor(page.next) });
  },
});

export const getConnectionRoute = defineRoute({
  method: 'GET',
  path: '/connections/{connectionId}',
  summary: 'A connection with its credentials (they need scope environment:connections:read_credentials)',
  tag: 'Connections',
  auth: 'secret_key',
  scope: 'environment:connections:read',
  params: ConnectionParams,
  query: GetQuery,
  responses: {
    200: { description: 'The connection; its own timestamps end in +00:00', schema: ConnectionFullOut },
    400: { description: 'unknown_provider_config; invalid_credentials when the token refresh failed now (payload.connection has credentials {})', schema: RefreshFailed },
    403: { description: 'A refresh flag without the credentials scope' },
    404: { description: 'No such connection' },
    424: {
      description: 'invalid_credentials: token refresh in backoff after a failure, or exhausted (the connection needs reauthorization); payload.connection has credentials {}',
      schema: RefreshFailed,
    },
    503: { description: 'connection_refresh_in_progress: another token refresh of this connection is still running' },
  },
  handle: async (request) => {
    const { db, principal, params, query, now, services } = request;
    const withCredentials = hasScope(principal.scopes, READ_CREDENTIALS);
    if (!withCredentials && (query.refresh_token || query.force_refresh || query.refresh_github_app_jwt_token)) {
      throw new ApiError(403, 'forbidden', `Insufficient scope. Required: ${READ_CREDENTIALS}`);
    }
    // Tokens due (or force_refresh) are refreshed on read; refresh_github_app_jwt_token forces a new GitHub App installation token.
    const key = keyOf(principal.environmentId, query.provider_config_key, params.connectionId);
    const options = {
      withCredentials,
      includeRefreshToken: query.refresh_token,
      forceRefresh: query.force_refresh,
      forceAppRefresh: query.refresh_github_app_jwt_token,
      refresh: withCredentials ? refreshConnection : undefined,
    };
    const result = await getConnectionForApi(db, services.cipher, key, now, options, auditFrom(request));
    if (result.kind === 'unknown_integration') throw unknownProviderConfig();
    if (result.kind === 'unknown_connection') throw connectionNotFound();
    // Nango answers a failed refresh-on-read with the connection (credentials {}).
    if (result.kind === 'refresh_failed') throw result.error.withConnection(result.connection);
    return jsonResult(200, result.connection, { 'cache-control': 'no-store' });
  },
});

export const importConnectionRoute = defineRoute({
  method: 'POST',
  path: '/connections',
  summary: 'Imports a connection with existing credentials (creates it, or overrides the one with the same ids)',
  tag: 'Connections',
  auth: 'secret_key',
  scope: 'environment:connections:create',
  body: ImportBody,
  responses: {
    201: { description: `The connection; its credentials only for keys with ${READ_CREDENTIALS} (audited as a credential read), else {}`, schema: ConnectionFullOut },
    400: { description: 'Credentials of a type the provider does not use; connection_test_failed when the provider refuses an APP token request' },
    404: { description: 'No such integration or provider' },
    502: { description: 'provider_unavailable: the provider could not be reached for an APP installation token' },
  },
  handle: async (request) => {
    const { db, principal, body, now, services } = request;
    // Credentials come back only to a key that could read them with GET (and the read is audited).
    const revealCredentials = hasScope(principal.scopes, READ_CREDENTIALS);
    const result = await importConnection({ db, cipher: services.cipher, registry: services.providers, revealCredentials }, principal.environmentId, body, now, auditFrom(request));
    return jsonResult(201, toPublicConnectionFull(result.row, result.credentials, 'iso'), { 'cache-control': 'no-store' });
  },
});

export const patchConnectionRoute = defineRoute({
  method: 'PATCH',
  path: '/connections/{connectionId}',
  summary: "Changes a connection's end user, tags or webhook URL override",
  tag: 'Connections',
  auth: 'secret_key',
  scope: 'environment:connections:update',
  params: ConnectionParams,
  query: ProviderConfigKeyQuery,
  body: PatchBody,
  responses: { 200: { description: 'Changed', schema: Success }, 400: { description: 'unknown_provider_config' }, 404: { description: 'No such connection' } },
  handle: async (request) => {
    const { db, principal, params, query, body, now } = request;
    const outcome = await updateConnection(db, keyOf(principal.environmentId, query.provider_config_key, params.connectionId), body, now, auditFrom(request));
    if (outcome === 'unknown_integration') throw unknownProviderConfig();
    if (outcome === 'unknown_connection') throw connectionNotFound();
    return jsonResult(200, { success: true });
  },
});

export const deleteConnectionRoute = defineRoute({
  method: 'DELETE',
  path: '/connections/{connectionId}',
  summary: 'Deletes a connection (soft delete: gone from every route at once)',
  tag: 'Connections',
  auth: 'secret_key',
  scope: 'environment:connections:delete',
  params: ConnectionParams,
  query: DeleteQuery,
  responses: {
    200: { description: 'Deleted (with purge=true: erased for good)', schema: Success },
    202: { description: 'purge=true: deleted, and the erasure is being finished by the deleted-connections sweep (within 15 minutes)', schema: Success },
    400: { description: 'unknown_connection (no message, as Nango)' },
  },
  handle: async (request) => {
    const { db, principal, params, query, now } = request;
    const key = keyOf(principal.environmentId, query.provider_config_key, params.connectionId);
    if (query.purge) {
      const outcome = await purgeConnection(db, key, now, { batchSize: 500, deadline: Date.now() + PURGE_BUDGET_MS }, auditFrom(request));
      if (outcome === 'unknown_connection') throw new ApiError(400, 'unknown_connection');
      return jsonResult(outcome === 'purged' ? 200 : 202, { success: true });
    }
    if (!(await softDeleteConnection(db, key, now, connectionEvent(auditFrom(request), key, 'connection.delete')))) {
      throw new ApiError(400, 'unknown_connection');
    }
    return jsonResult(200, { success: true });
  },
});

function metadataRoute(method: 'POST' | 'PATCH') {
  const merge = method === 'PATCH';
  const status = merge ? 200 : 201;
  return defineRoute({
    method,
    path: '/connections/metadata',
    summary: merge ? 'Shallow-merges metadata into one or more connections (all or nothing)' : 'Replaces the metadata of one or more connections (all or nothing)',
    tag: 'Connections',
    auth: 'secret_key',
    scope: 'environment:connections:update',
    body: MetadataBody,
    responses: {
      [status]: { description: 'The request body, echoed', schema: MetadataBody },
      400: { description: 'Metadata over its size limit (for a merge: the merged document); nothing was written' },
      404: { description: 'An unknown connection; nothing was written' },
    },
    handle: async (request) => {
      const { db, principal, body, now } = request;
      const ids = Array.isArray(body.connection_id) ? body.connection_id : [body.connection_id];
      const audit = {
        ...auditFrom(request),
        action: 'connection.metadata.update' as const,
        targetType: 'connection',
        targetId: null,
        detail: { provider_config_key: body.provider_config_key, connection_ids: ids, mode: merge ? 'merge' : 'replace' },
      };
      const { missing, tooLarge } = await writeMetadata(db, principal.environmentId, body.provider_config_key, ids, body.metadata, merge, now, audit, STORED_DOCUMENT_LIMITS.connectionMetadata);
      if (tooLarge.length) {
        throw new ApiError(400, 'invalid_body', `The merged metadata of connection ${tooLarge[0]} would exceed ${STORED_DOCUMENT_LIMITS.connectionMetadata} bytes as stored; nothing was written`);
      }
      if (missing.length) {
        let message = `Connection with connection id ${missing[0]} and provider config key ${body.provider_config_key} not found. Please make sure the connection exists in the Nango dashboard`;
        if (ids.length > 1) message += '. No actions were taken on any of the connections as a result of this failure.';
        throw new ApiError(404, 'unknown_connection', message);
      }
      return jsonResult(status, body);
    },
  });
}

export const setMetadataRoute = metadataRoute('POST');
export const updateMetadataRoute = metadataRoute('PATCH');

/** Nango's deprecated singular paths: the same route under another path. */
function deprecatedAlias(route: AnyRoute): AnyRoute {
  return { ...route, path: route.path.replace(/^\/connections/, '/connection'), summary: `${route.summary} (deprecated path)` };
}

const CANONICAL: AnyRoute[] = [
  listConnectionsRoute,
  importConnectionRoute,
  // Static metadata paths are matched before `{connectionId}` by the router.
  setMetadataRoute,
  updateMetadataRoute,
  getConnectionRoute,
  patchConnectionRoute,
  deleteConnectionRoute,
];

export const CONNECTION_ROUTES: AnyRoute[] = [
  ...CANONICAL,
  ...[listConnectionsRoute, getConnectionRoute, deleteConnectionRoute, importConnectionRoute, setMetadataRoute, updateMetadataRoute].map(deprecatedAlias),
];
