import * as z from 'zod';
import { auditFrom } from '../../../http/audit-request';
import { recordAudit } from '../../../audit/audit-log';
import { ApiError, jsonResult } from '../../../http/errors';
import { capped, STORED_DOCUMENT_LIMITS } from '../../../platform/db/stored-document';
import { defineRoute, type AnyRoute } from '../../../http/route';
import { pagedList } from '../../../http/paged-list';
import { cursorParam, MAX_PAGE_ROWS, pageLimit } from '../../../http/pagination';
import { decodeNameCursor, encodeNameCursor } from '../../../platform/db/keyset-cursor';
import { RepointRefused } from '../../../providers/errors';
import { CustomProviderSchema, ProviderNameSchema, type Provider } from '../../../providers/provider-schema';
import { urlChanges } from '../../../providers/provider-repointing';
import { hasScope } from '../../../auth/scopes';
import { ApiProviderSchema, StoredProviderSchema, toApiProvider, toStoredProvider } from '../../../providers/public-provider';

const Name = z.object({ provider: ProviderNameSchema });
/** A secret key sees the whole stored definition; a connect session (an end user) the public projection. */
const One = z.object({ data: z.union([StoredProviderSchema, ApiProviderSchema]) });
const Stored = z.object({ data: StoredProviderSchema });

function notFound(name: string): ApiError {
  return new ApiError(404, 'not_found', `Provider "${name}" does not exist`);
}

export const listProvidersRoute = defineRoute({
  method: 'GET',
  path: '/providers',
  summary: 'Providers of the catalog and of this environment',
  tag: 'Providers',
  auth: 'secret_key_or_connect_session',
  scope: 'environment:providers:read',
  query: z.object({ search: z.string().min(1).max(255).optional(), limit: pageLimit(MAX_PAGE_ROWS), cursor: cursorParam(decodeNameCursor) }).strict(),
  responses: {
    200: {
      description: 'Providers by name; next_cursor (our extension) is set when the page ended before the list did',
      schema: z.object({ data: z.array(ApiProviderSchema), next_cursor: z.string().nullable() }),
    },
  },
  handle: async ({ db, principal, query, services }) => {
    const page = await pagedList({
      limit: query.limit,
      start: query.cursor,
      read: (after, rows) => services.providers.list(db, principal.environmentId, query.search, after, rows),
      cursorOf: (p) => p.name,
      item: (p) => toApiProvider(p.name, p.provider, { custom: p.custom }),
    });
    return jsonResult(200, { data: page.items, next_cursor: page.next === undefined ? null : encodeNameCursor(page.next) });
  },
});

export const getProviderRoute = defineRoute({
  method: 'GET',
  path: '/providers/{provider}',
  summary: 'One provider: its whole definition for a secret key (URLs, parameters, proxy, verification, allow_private_network), the public fields for a connect session',
  tag: 'Providers',
  auth: 'secret_key_or_connect_session',
  scope: 'environment:providers:read',
  params: Name,
  responses: { 200: { description: 'The provider', schema: One }, 404: { description: 'No such provider' } },
  handle: async ({ db, principal, params, services }) => {
    const found = await services.providers.get(db, principal.environmentId, params.provider);
    if (!found) throw notFound(params.provider);
    const view = principal.kind === 'secret_key' ? toStoredProvider : toApiProvider;
    return jsonResult(200, { data: view(found.name, found.provider, { custom: found.custom }) });
  },
});

/**
 * Moving the URLs of a provider in use sends the integrations' client secrets and the connections'
 * refresh tokens to the new hosts on the next request: only a key that could read those
 * credentials anyway may do it.
 */
export const REPOINT_SCOPES = ['environment:integrations:read_credentials', 'environment:connections:read_credentials'] as const;

export const putProviderRoute = defineRoute({
  method: 'PUT',
  path: '/providers/{provider}',
  summary: `Creates or replaces a custom provider of this environment (our extension). Changing a URL of a provider that integrations use also needs ${REPOINT_SCOPES.join(' and ')}`,
  tag: 'Providers',
  auth: 'secret_key',
  scope: 'environment:providers:write',
  params: Name,
  // Checked in full by the registry (its own error codes); the document shows the definition.
  body: capped(z.record(z.string(), z.unknown()), STORED_DOCUMENT_LIMITS.providerDefinition),
  documentedBody: CustomProviderSchema,
  responses: {
    200: { description: 'Replaced; the definition as stored', schema: Stored },
    201: { description: 'Created; the definition as stored', schema: Stored },
    403: { description: 'A URL of a provider in use changed without the credential-reading scopes' },
    409: { description: 'The name belongs to the catalog' },
  },
  handle: async (request) => {
    const { db, principal, params, body, services } = request;
    const registry = services.providers;
    try {
      const result = await db.transaction(async (tx) => {
        const current = await registry.currentCustom(tx, principal.environmentId, params.provider);
        const put = await registry.putCustom(tx, principal.environmentId, params.provider, body);
        const changes = current.definition ? urlChanges(current.definition as Provider, put.provider.provider) : [];
        const repoints = current.inUse && changes.length > 0;
        const missing = REPOINT_SCOPES.filter((scope) => !hasScope(principal.scopes, scope));
        // Thrown inside the transaction: the replacement is rolled back.
        if (repoints && missing.length > 0) throw new RepointRefused(missing, changes);
        await recordAudit(tx, {
          ...auditFrom(request),
          action: 'provider.put',
          targetType: 'provider',
          targetId: params.provider,
          detail: { created: put.created, in_use: current.inUse, ...(changes.length ? { url_changes: changes } : {}) },
        });
        return put;
      });
      return jsonResult(result.created ? 201 : 200, { data: toStoredProvider(params.provider, result.provider.provider, { custom: true }) });
    } catch (err) {
      // The refused attempt is audited too (after the rollback), with the hosts it tried to set.
      if (err instanceof RepointRefused) {
        await recordAudit(db, { ...auditFrom(request), outcome: 'failure', action: 'provider.put', targetType: 'provider', targetId: params.provider, detail: { in_use: true, url_changes: err.changes, error_type: 'forbidden' } });
      }
      throw err;
    }
  },
});

export const deleteProviderRoute = defineRoute({
  method: 'DELETE',
  path: '/providers/{provider}',
  summary: 'Deletes a custom provider no integration uses (our extension)',
  tag: 'Providers',
  auth: 'secret_key',
  scope: 'environment:providers:write',
  params: Name,
  responses: { 200: { description: 'Deleted', schema: z.object({ success: z.literal(true) }) }, 404: { description: 'No such custom provider' }, 409: { description: 'An integration uses it' } },
  handle: async (request) => {
    const { db, principal, params, services } = request;
    const registry = services.providers;
    const deleted = await db.transaction(async (tx) => {
      const done = await registry.deleteCustom(tx, principal.environmentId, params.provider);
      if (done) await recordAudit(tx, { ...auditFrom(request), action: 'provider.delete', targetType: 'provider', targetId: params.provider });
      return done;
    });
    if (!deleted) throw notFound(params.provider);
    return jsonResult(200, { success: true });
  },
});

export const PROVIDER_ROUTES: AnyRoute[] = [listProvidersRoute, getProviderRoute, putProviderRoute, deleteProviderRoute];
