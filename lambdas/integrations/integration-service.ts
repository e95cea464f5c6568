import type { AuditBase } from '../audit/audit-event';
import { randomUUID } from 'node:crypto';
import type { CipherBinding } from '../platform/crypto/binding';
import type { EnvelopeCipher } from '../platform/crypto/envelope-cipher';
import type { SqlExecutor } from '../platform/db/data-api';
import { DatabaseError } from '../platform/db/errors';
import type { ProviderRegistry } from '../providers/provider-registry';
import type { IntegrationCredentials, IntegrationSecrets } from './integration-schema';
import {
  deleteIntegration as deleteRow,
  getIntegrationForUpdate,
  insertIntegration,
  updateIntegration as updateRow,
  type IntegrationRow,
  type IntegrationValues,
} from './integration-store';
import { IntegrationError } from './errors';
import { providerFacts, type ProviderFacts } from './provider-facts';

/**
 * The rules of POST/PATCH/DELETE /integrations (Nango's, in Nango's order): the provider must
 * exist, credentials must match its auth mode, OAuth-style providers need credentials, keys are
 * unique per environment, and renames are refused while connections use the key.
 */

/** Auth modes whose integrations cannot work without the customer's app credentials. */
const NEEDS_CREDENTIALS = new Set(['OAUTH1', 'OAUTH2', 'APP', 'CUSTOM']);

export interface CreateIntegrationInput {
  provider: string;
  unique_key: string;
  display_name?: string;
  forward_webhooks?: boolean;
  credentials?: IntegrationCredentials;
  integration_config?: Record<string, string>;
  custom?: Record<string, string>;
  /** Hosts end users may choose (providers/host-choice.ts); normalised by the schema. */
  allowed_hosts?: string[];
}

export type UpdateIntegrationInput = Partial<Omit<CreateIntegrationInput, 'provider'>>;

export function secretBinding(environmentId: string, integrationId: string): CipherBinding {
  return { environmentId, purpose: 'integration-secret', table: 'integrations', rowId: integrationId, field: 'client_secret' };
}

export async function createIntegration(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  registry: ProviderRegistry,
  environmentId: string,
  input: CreateIntegrationInput,
  audit?: AuditBase,
): Promise<IntegrationRow> {
  // Catalog providers cost no statement; a custom one costs one.
  const resolved = await registry.get(db, environmentId, input.provider);
  if (!resolved) throw new IntegrationError('invalid_provider');
  const provider: ProviderFacts = resolved.provider;
  const creds = input.credentials;
  if (creds && creds.type !== provider.auth_mode) throw new IntegrationError('incompatible_credentials');
  if (!creds && NEEDS_CREDENTIALS.has(provider.auth_mode)) throw new IntegrationError('missing_credentials');

  const id = randomUUID();
  const parts = credentialColumns(creds, provider);
  const values: IntegrationValues = {
    unique_key: input.unique_key,
    provider: input.provider,
    display_name: input.display_name ?? null,
    client_id: parts.client_id,
    client_secret: await sealSecrets(cipher, environmentId, id, parts.secrets),
    scopes: parts.scopes ?? defaultScopes(provider),
    app_id: parts.app_id,
    app_link: parts.app_link,
    forward_webhooks: input.forward_webhooks ?? true,
    integration_config: input.integration_config ?? {},
    custom: input.custom ?? {},
    allowed_hosts: input.allowed_hosts ?? [],
  };
  const row = await insertIntegration(
    db,
    environmentId,
    id,
    values,
    audit && { ...audit, action: 'integration.create', targetType: 'integration', targetId: id, detail: { unique_key: input.unique_key, provider: input.provider, ...(values.allowed_hosts.length ? { allowed_hosts: values.allowed_hosts } : {}) } },
  );
  if (!row) throw new IntegrationError('unique_key_exists');
  return row;
}

/** Two statements: read (with the rename checks), then write. */
export async function updateIntegration(
  db: SqlExecutor,
  cipher: EnvelopeCipher,
  environmentId: string,
  uniqueKey: string,
  input: UpdateIntegrationInput,
  audit?: AuditBase,
): Promise<IntegrationRow> {
  const renameTo = input.unique_key !== undefined && input.unique_key !== uniqueKey ? input.unique_key : null;
  const current = await getIntegrationForUpdate(db, environmentId, uniqueKey, renameTo);
  if (!current) throw new IntegrationError('not_found', `Integration "${uniqueKey}" does not exist`);
  const provider = providerFacts(current.provider, current);
  if (!provider) throw new IntegrationError('unknown_provider');
  const creds = input.credentials;
  if (creds && creds.type !== provider.auth_mode) throw new IntegrationError('incompatible_credentials');
  if (renameTo !== null) {
    if (current.new_key_taken) throw new IntegrationError('unique_key_taken');
    // Connections name their integration by key: a rename would orphan them.
    if (current.has_live_connections) throw new IntegrationError('has_connections');
  }

  const changes: Partial<IntegrationValues> = {};
  if (renameTo !== null) changes.unique_key = renameTo;
  if (input.display_name !== undefined) changes.display_name = input.display_name;
  if (input.forward_webhooks !== undefined) changes.forward_webhooks = input.forward_webhooks;
  if (input.integration_config !== undefined) changes.integration_config = input.integration_config;
  if (input.custom !== undefined) changes.custom = input.custom;
  if (input.allowed_hosts !== undefined) changes.allowed_hosts = input.allowed_hosts;
  if (creds) {
    // Credentials are replaced as a whole, except that an OAuth webhook secret left out is kept.
    const previous = current.client_secret ? await openSecrets(cipher, environmentId, current.id, current.client_secret) : {};
    const parts = credentialColumns(creds, provider, previous);
    Object.assign(changes, {
      client_id: parts.client_id,
      client_secret: await sealSecrets(cipher, environmentId, current.id, parts.secrets),
      scopes: parts.scopes ?? defaultScopes(provider),
      app_id: parts.app_id,
      app_link: parts.app_link,
    });
  }
  try {
    const row = await updateRow(
      db,
      environmentId,
      current.id,
      changes,
      // Which fields changed, never their values.
      audit && { ...audit, action: 'integration.update', targetType: 'integration', targetId: current.id, detail: {
          unique_key: uniqueKey,
          fields: Object.keys(changes),
          // Hosts are not secrets; an auditor needs to see where end users may now send credentials.
          ...(changes.allowed_hosts ? { allowed_hosts: { old: current.allowed_hosts, new: changes.allowed_hosts } } : {}),
        } },
    );
    if (!row) throw new IntegrationError('not_found', `Integration "${uniqueKey}" does not exist`);
    return row;
  } catch (err) {
    if (err instanceof DatabaseError && err.isUniqueViolation) throw new IntegrationError('unique_key_taken');
    throw err;
  }
}

export async function deleteIntegration(db: SqlExecutor, environmentId: string, uniqueKey: string, now: Date, audit?: AuditBase): Promise<{ connections: number }> {
  const result = await deleteRow(db, environmentId, uniqueKey, now, audit && { ...audit, action: 'integration.delete', targetType: 'integration', targetId: null, detail: { unique_key: uniqueKey } });
  if (!result.deleted) throw new IntegrationError('not_found');
  return { connections: result.connections };
}

/** The decrypted secrets of an integration row selected with its secret. */
export async function openSecrets(cipher: EnvelopeCipher, environmentId: string, integrationId: string, envelope: Buffer): Promise<IntegrationSecrets> {
  return cipher.decryptJson<IntegrationSecrets>(envelope, secretBinding(environmentId, integrationId));
}

async function sealSecrets(cipher: EnvelopeCipher, environmentId: string, integrationId: string, secrets: IntegrationSecrets): Promise<Buffer | null> {
  const present = Object.fromEntries(Object.entries(secrets).filter(([, value]) => typeof value === 'string' && value !== ''));
  return Object.keys(present).length ? cipher.encryptJson(present, secretBinding(environmentId, integrationId)) : null;
}

interface CredentialColumns {
  client_id: string | null;
  /** undefined: none given (the provider's defaults apply). */
  scopes: string[] | undefined;
  app_id: string | null;
  app_link: string | null;
  secrets: IntegrationSecrets;
}

function credentialColumns(creds: IntegrationCredentials | undefined, provider: ProviderFacts, previous: IntegrationSecrets = {}): CredentialColumns {
  if (!creds) return { client_id: null, scopes: undefined, app_id: null, app_link: null, secrets: {} };
  switch (creds.type) {
    case 'OAUTH1':
    case 'OAUTH2':
    case 'TBA':
      return {
        client_id: creds.client_id,
        scopes: splitScopes(creds.scopes),
        app_id: null,
        app_link: null,
        secrets: { client_secret: creds.client_secret, webhook_secret: creds.webhook_secret ?? previous.webhook_secret },
      };
    case 'APP':
      return { client_id: null, scopes: undefined, app_id: creds.app_id, app_link: creds.app_link, secrets: { private_key: creds.private_key } };
    case 'CUSTOM':
      return {
        client_id: creds.client_id,
        scopes: undefined,
        app_id: creds.app_id,
        app_link: creds.app_link,
        secrets: { client_secret: creds.client_secret, private_key: creds.private_key },
      };
    default:
      throw new Error(`Unsupported credentials for auth mode ${provider.auth_mode}`);
  }
}

/** "a, b,c" → ['a','b','c']; '' or nothing → undefined (Nango then uses the provider's defaults). */
function splitScopes(scopes: string | undefined): string[] | undefined {
  const list = (scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

function defaultScopes(provider: ProviderFacts): string[] | null {
  return provider.default_scopes?.length ? [...provider.default_scopes] : null;
}
