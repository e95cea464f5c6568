import * as z from 'zod';
import { auditFrom } from '../../../http/audit-request';
import { forgetCachedKeys } from '../../../http/authenticate';
import { hasScope } from '../../../auth/scopes';
import { WebhookUrlSchema } from '../../../environments/environment-schema';
import { getEnvironment, readWebhookSigningKey, rotateWebhookSigningKey, updateEnvironmentSettings, type Environment } from '../../../environments/environment-store';
import { recordAudit } from '../../../audit/audit-log';
import { ApiError, jsonResult } from '../../../http/errors';
import { defineRoute } from '../../../http/route';
import { createSecretKey, revokeSecretKey } from '../../../keys/secret-keys';
import { listSecretKeys, type SecretKeyInfo } from '../../../keys/secret-key-store';

/* Our extensions in Nango's style: the caller's environment (derived from its key), its settings and keys. */

const WebhookUrl = WebhookUrlSchema.nullable();

const SettingsPatch = z
  .object({
    webhook_url: WebhookUrl,
    webhook_secondary_url: WebhookUrl,
    webhook_on_auth_creation: z.boolean(),
    webhook_on_auth_refresh_error: z.boolean(),
    webhook_on_connection_deleted: z.boolean(),
    callback_url: WebhookUrl,
    connection_retention_days: z.number().int().min(1).max(3650),
  })
  .partial()
  .strict()
  .refine((v) => Object.keys(v).length > 0, 'Give at least one setting to change');

const EnvironmentOut = z.object({
  id: z.uuid(),
  name: z.string(),
  is_production: z.boolean(),
  webhook_url: z.string().nullable(),
  webhook_secondary_url: z.string().nullable(),
  webhook_on_auth_creation: z.boolean(),
  webhook_on_auth_refresh_error: z.boolean(),
  webhook_on_connection_deleted: z.boolean(),
  callback_url: z.string().nullable(),
  connection_retention_days: z.number(),
  webhook_signing_key_set: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});

const KeyOut = z.object({
  id: z.uuid(),
  display_name: z.string(),
  scopes: z.array(z.string()),
  masked_key: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
});

const CreateKey = z
  .object({
    display_name: z.string().trim().min(1).max(255),
    scopes: z.array(z.string().regex(/^environment:[a-z_:*]+$/, 'Unknown scope format')).min(1).max(50).optional(),
  })
  .strict();

const SigningKeyOut = z.object({ data: z.object({ webhook_signing_key: z.string() }) });

const KeyIdParams = z.object({ keyId: z.uuid() });

function environmentOut(env: Environment) {
  return { data: env };
}

function maskedKey(key: SecretKeyInfo) {
  const { key_hint, ...rest } = key;
  return { ...rest, masked_key: `********-****-4***-****-********${key_hint}` };
}

export const getEnvironmentRoute = defineRoute({
  method: 'GET',
  path: '/environment',
  summary: "The caller's environment and its settings",
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:settings:read',
  responses: { 200: { description: 'The environment', schema: z.object({ data: EnvironmentOut }) } },
  handle: async ({ db, principal }) => {
    const env = await getEnvironment(db, principal.environmentId);
    if (!env) throw new ApiError(404, 'not_found', 'Environment does not exist');
    return jsonResult(200, environmentOut(env));
  },
});

export const patchEnvironmentRoute = defineRoute({
  method: 'PATCH',
  path: '/environment',
  summary: "Changes the environment's settings",
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:settings:write',
  body: SettingsPatch,
  responses: { 200: { description: 'The environment as it now is', schema: z.object({ data: EnvironmentOut }) } },
  handle: async (request) => {
    const { db, principal, body } = request;
    const env = await updateEnvironmentSettings(db, principal.environmentId, body, auditFrom(request));
    if (!env) throw new ApiError(404, 'not_found', 'Environment does not exist');
    return jsonResult(200, environmentOut(env));
  },
});

export const rotateSigningKeyRoute = defineRoute({
  method: 'POST',
  path: '/environment/webhook-signing-key/rotate',
  summary: 'Replaces the webhook signing key; the new key is shown once',
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:settings:write',
  responses: { 200: { description: 'The new signing key', schema: SigningKeyOut } },
  handle: async (request) => {
    const key = await rotateWebhookSigningKey(request.db, request.services.cipher, request.principal.environmentId, auditFrom(request));
    return jsonResult(200, { data: { webhook_signing_key: key } }, { 'cache-control': 'no-store' });
  },
});

export const readSigningKeyRoute = defineRoute({
  method: 'GET',
  path: '/environment/webhook-signing-key',
  summary: "The webhook signing key your receiver verifies signatures with (each environment gets one at creation); every read is audited",
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:webhook_signing_key:read',
  responses: { 200: { description: 'The signing key', schema: SigningKeyOut }, 404: { description: 'The environment has no signing key yet (rotate one)' } },
  handle: async (request) => {
    const { db, principal, services } = request;
    const key = await readWebhookSigningKey(db, services.cipher, principal.environmentId);
    if (!key) throw new ApiError(404, 'not_found', 'This environment has no webhook signing key yet: POST /environment/webhook-signing-key/rotate creates one');
    await recordAudit(db, { ...auditFrom(request), action: 'environment.webhook_signing_key.read', targetType: 'environment', targetId: principal.environmentId });
    return jsonResult(200, { data: { webhook_signing_key: key } }, { 'cache-control': 'no-store' });
  },
});

export const listKeysRoute = defineRoute({
  method: 'GET',
  path: '/environment/api-keys',
  summary: "The environment's active secret keys, masked",
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:api_keys:read',
  responses: { 200: { description: 'Active keys', schema: z.object({ data: z.array(KeyOut) }) } },
  handle: async ({ db, principal }) => jsonResult(200, { data: (await listSecretKeys(db, principal.environmentId)).map(maskedKey) }),
});

export const createKeyRoute = defineRoute({
  method: 'POST',
  path: '/environment/api-keys',
  summary: 'Creates a secret key; the secret is shown once',
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:api_keys:write',
  body: CreateKey,
  responses: {
    201: { description: 'The new key with its secret', schema: z.object({ data: KeyOut.omit({ masked_key: true, last_used_at: true }).extend({ secret: z.uuid() }) }) },
    409: { description: 'A key with this name exists' },
  },
  handle: async (request) => {
    const { db, principal, body } = request;
    const scopes = body.scopes ?? principal.scopes;
    // A key can hand out at most what it holds itself.
    const excess = scopes.filter((scope) => !hasScope(principal.scopes, scope));
    if (excess.length) throw new ApiError(403, 'forbidden', `Insufficient scope to grant: ${excess.join(', ')}`);
    const key = await createSecretKey(db, await request.services.secretHasher(), principal.environmentId, body.display_name, scopes, auditFrom(request));
    const { key_hint: _hint, last_used_at: _unused, ...data } = key;
    return jsonResult(201, { data }, { 'cache-control': 'no-store' });
  },
});

export const revokeKeyRoute = defineRoute({
  method: 'DELETE',
  path: '/environment/api-keys/{keyId}',
  summary: 'Revokes a secret key (within 30 s on every running function, at once on this one)',
  tag: 'Environment',
  auth: 'secret_key',
  scope: 'environment:api_keys:write',
  params: KeyIdParams,
  responses: {
    200: { description: 'Revoked', schema: z.object({ success: z.literal(true) }) },
    403: { description: "The caller's scopes do not cover the key's" },
    404: { description: 'No such active key' },
  },
  handle: async (request) => {
    const { db, principal, params } = request;
    const outcome = await revokeSecretKey(db, principal.environmentId, params.keyId, principal.scopes, auditFrom(request));
    if (outcome === 'not_found') throw new ApiError(404, 'not_found', 'Secret key does not exist');
    // Like creating one: a key may revoke only keys whose every scope it holds itself.
    if (outcome === 'insufficient_scope') throw new ApiError(403, 'forbidden', "Insufficient scope to revoke this key: the caller's scopes must cover the key's");
    forgetCachedKeys();
    return jsonResult(200, { success: true });
  },
});

export const ENVIRONMENT_ROUTES = [getEnvironmentRoute, patchEnvironmentRoute, rotateSigningKeyRoute, readSigningKeyRoute, listKeysRoute, createKeyRoute, revokeKeyRoute];
