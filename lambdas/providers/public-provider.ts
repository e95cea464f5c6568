import * as z from 'zod';
import { AUTH_MODES, CustomProviderSchema, type AuthMode, type Provider, type ProviderField } from './provider-schema';

/**
 * What `GET /providers` and `GET /providers/:name` return for one provider to a connect session, in Nango's shape
 * (`{ name, display_name, auth_mode, categories, docs, ... }`).
 *
 * These endpoints are open to connect-session tokens, i.e. to end users, so the projection is an
 * allow-list: what a connect UI needs (names, docs, form fields, scopes). Parameter maps and proxy
 * header/query templates are never included (a custom provider may hold a literal secret there),
 * and a custom provider's URLs are left out too (they may name internal hosts).
 */
export interface ApiProvider {
  name: string;
  display_name: string;
  auth_mode: AuthMode;
  categories: string[];
  docs?: string;
  docs_connect?: string;
  setup_guide_url?: string;
  authorization_url?: string;
  token_url?: string | Partial<Record<AuthMode, string>>;
  scope_separator: string;
  default_scopes?: string[];
  connection_config?: Record<string, ProviderField>;
  credentials?: Record<string, ProviderField>;
  proxy?: { base_url: string };
  /** Present (true) only on an environment's own providers. */
  custom?: true;
}

const Fields = z.record(z.string(), z.record(z.string(), z.unknown()));

/** `ApiProvider` for the OpenAPI document. */
export const ApiProviderSchema = z.object({
  name: z.string(),
  display_name: z.string(),
  auth_mode: z.enum(AUTH_MODES),
  categories: z.array(z.string()),
  docs: z.string().optional(),
  docs_connect: z.string().optional(),
  setup_guide_url: z.string().optional(),
  authorization_url: z.string().optional(),
  token_url: z.union([z.string(), z.partialRecord(z.enum(AUTH_MODES), z.string())]).optional(),
  scope_separator: z.string(),
  default_scopes: z.array(z.string()).optional(),
  connection_config: Fields.optional(),
  credentials: Fields.optional(),
  proxy: z.object({ base_url: z.string() }).optional(),
  custom: z.literal(true).optional().describe('Present (true) only on an environment’s own providers'),
});

export function toApiProvider(name: string, provider: Provider, options: { custom?: boolean } = {}): ApiProvider {
  const out: ApiProvider = {
    name,
    display_name: provider.display_name,
    auth_mode: provider.auth_mode,
    categories: [...provider.categories],
    scope_separator: provider.scope_separator,
  };
  if (provider.docs) out.docs = provider.docs;
  if (provider.docs_connect) out.docs_connect = provider.docs_connect;
  if (provider.setup_guide_url) out.setup_guide_url = provider.setup_guide_url;
  if (provider.default_scopes) out.default_scopes = [...provider.default_scopes];
  if (provider.connection_config) out.connection_config = copyFields(provider.connection_config);
  if (provider.credentials) out.credentials = copyFields(provider.credentials);
  if (options.custom) {
    out.custom = true;
    return out;
  }
  if (provider.authorization_url) out.authorization_url = provider.authorization_url;
  if (provider.token_url) out.token_url = typeof provider.token_url === 'string' ? provider.token_url : { ...provider.token_url };
  if (provider.proxy) out.proxy = { base_url: provider.proxy.base_url };
  return out;
}

/** Copies (the catalog is frozen; callers may mutate responses). */
function copyFields(fields: Record<string, ProviderField>): Record<string, ProviderField> {
  return Object.fromEntries(Object.entries(fields).map(([key, field]) => [key, { ...field, ...(field.enum ? { enum: [...field.enum] } : {}) }]));
}

/**
 * What a secret key sees of one provider (`GET /providers/:name`, the answer of `PUT`): the whole
 * stored definition as validated (defaults applied), so its owner can check what was stored; like
 * Nango's, which returns the whole catalog entry. End users (connect sessions) get `toApiProvider`.
 */
export type StoredProvider = Provider & { name: string; custom?: true };

/** `StoredProvider` for the OpenAPI document. */
export const StoredProviderSchema = z.strictObject({
  name: z.string(),
  ...CustomProviderSchema.shape,
  custom: z.literal(true).optional().describe('Present (true) only on an environment’s own providers'),
});

export function toStoredProvider(name: string, provider: Provider, options: { custom?: boolean } = {}): StoredProvider {
  // A copy: the catalog is frozen, and callers may change what they are given.
  return { name, ...structuredClone(provider), ...(options.custom ? { custom: true as const } : {}) };
}
