import * as z from 'zod';
import { isBlockedAddress, isLocalHostname } from '../platform/net/network-policy';
import { analyzeUrlTemplate, InvalidTemplateError, placeholdersOf, tokenize } from './template';

/**
 * One provider definition, in the shape of Nango's providers.yaml entries (§9 of the reference),
 * plus our `allow_private_network`. The same rules validate the built-in catalog (ProviderSchema)
 * and per-environment custom providers (CustomProviderSchema). Unknown keys are rejected so a typo
 * never silently disables a setting.
 */

export const AUTH_MODES = [
  'OAUTH2', 'OAUTH2_CC', 'OAUTH1', 'API_KEY', 'BASIC', 'APP', 'CUSTOM', 'NONE', 'TBA', 'JWT', 'TWO_STEP',
  'BILL', 'SIGNATURE', 'MCP_OAUTH2', 'MCP_OAUTH2_GENERIC', 'INSTALL_PLUGIN', 'AWS_SIGV4',
] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/** Provider names: also the `provider` of an integration and a URL path segment. */
export const PROVIDER_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const isValidProviderName = (name: string): boolean => PROVIDER_NAME.test(name);
export const ProviderNameSchema = z.string().regex(PROVIDER_NAME, 'Provider names are 1-63 lowercase letters, digits, _ and -, starting with a letter or digit');

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const FIELD_KEY = { pattern: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, what: 'field name (letters, digits, _)' };
const PARAM_KEY = { pattern: /^[A-Za-z0-9_.[\]:-]{1,128}$/, what: 'parameter name' };
const HEADER_NAME = { pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$/, what: 'header name' };

/**
 * A record whose keys follow `key`. Keys are checked on the raw input, with a message per key:
 * a parsed record would already have dropped a `__proto__` key silently.
 */
const keyedMap = <T extends z.ZodType>(key: { pattern: RegExp; what: string }, value: T, max = 50) =>
  z.preprocess((raw, ctx) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
    const keys = Object.keys(raw);
    if (keys.length > max) ctx.addIssue({ code: 'custom', message: `at most ${max} entries`, input: raw });
    for (const k of keys) {
      if (!key.pattern.test(k) || FORBIDDEN_KEYS.has(k)) ctx.addIssue({ code: 'custom', path: [k], message: `invalid ${key.what}`, input: k });
    }
    return raw;
  }, z.record(z.string(), value)) as unknown as z.ZodType<Record<string, z.output<T>>, Record<string, z.input<T>>>; // keep the record's input type

const METADATA_PATH = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, { error: 'must be a dotted path like team.id' }).max(200);

const problem = (check: (value: string) => void) => (value: string, ctx: z.core.$RefinementCtx<string>) => {
  try {
    check(value);
  } catch (err) {
    if (!(err instanceof InvalidTemplateError)) throw err;
    ctx.addIssue({ code: 'custom', message: err.message, input: value });
  }
};

/** A text template: header value, query or body parameter. */
const TextTemplate = z.string().max(2048).superRefine(problem((value) => tokenize(value)));
/** A URL template (see template.ts for placeholders and `||` alternatives). */
const UrlTemplate = z.string().min(1).max(2048).superRefine(problem((value) => analyzeUrlTemplate(value)));
/** A plain link (docs): no placeholders. */
const Link = UrlTemplate.refine((value) => !value.includes('${') && !value.includes('||'), { error: 'must be a plain URL without placeholders' });

const ParamMap = keyedMap(PARAM_KEY, TextTemplate);

const FieldSchema = z.strictObject({
  type: z.enum(['string', 'number', 'boolean']).default('string'),
  title: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  example: z.string().max(500).optional(),
  pattern: z
    .string()
    .max(500)
    .refine((p) => { try { new RegExp(p); return true; } catch { return false; } }, { error: 'pattern is not a valid regular expression' })
    .optional(),
  format: z.enum(['hostname', 'uri', 'uuid', 'ipv4', 'ipv6', 'email']).optional(),
  enum: z.array(z.string().max(200)).min(1).max(100).optional(),
  optional: z.boolean().optional(),
  /** Filled by us (token response, callback), never typed by the end user. */
  automated: z.boolean().optional(),
  hidden: z.boolean().optional(),
  default_value: z.string().max(500).optional(),
  prefix: z.string().max(200).optional(),
  suffix: z.string().max(200).optional(),
  doc_section: z.string().max(200).optional(),
});
const CredentialFieldSchema = FieldSchema.extend({ secret: z.boolean().optional() });


const ProxySchema = z.strictObject({
  base_url: UrlTemplate,
  headers: keyedMap(HEADER_NAME, TextTemplate).optional(),
  query: ParamMap.optional(),
  verification: z
    .strictObject({
      method: z.enum(['GET', 'POST', 'HEAD']),
      // Literal paths below base_url; `//` would make them protocol-relative (another host).
      endpoints: z.array(z.string().max(500).regex(/^\/(?![/\\])[^\s\\#]*$/, { error: 'must be a path starting with a single /' })).min(1).max(10),
      headers: keyedMap(HEADER_NAME, TextTemplate).optional(),
      base_url_override: UrlTemplate.optional(),
    })
    .optional(),
  retry: z
    .strictObject({
      at: z.string().max(128).optional(),
      after: z.string().max(128).optional(),
      remaining: z.string().max(128).optional(),
      error_code: z.array(z.number().int().min(100).max(599)).max(20).optional(),
    })
    .optional(),
  decompress: z.boolean().optional(),
});

const shape = {
  display_name: z.string().min(1).max(200),
  categories: z.array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'categories are lowercase slugs' })).max(20).default([]),
  docs: Link.optional(),
  docs_connect: Link.optional(),
  setup_guide_url: Link.optional(),
  auth_mode: z.enum(AUTH_MODES, { error: `auth_mode must be one of ${AUTH_MODES.join(', ')}` }),
  authorization_url: UrlTemplate.optional(),
  /** OAUTH1 only: where the request token is obtained. */
  request_url: UrlTemplate.optional(),
  /** One URL, or one per auth mode (CUSTOM providers that mix OAUTH2 and APP). */
  token_url: z.union([UrlTemplate, z.partialRecord(z.enum(AUTH_MODES), UrlTemplate)]).optional(),
  refresh_url: UrlTemplate.optional(),
  authorization_params: ParamMap.optional(),
  token_params: ParamMap.optional(),
  refresh_params: ParamMap.optional(),
  authorization_url_skip_encode: z.array(z.string().max(64)).max(10).optional(),
  authorization_url_skip_empty: z.boolean().optional(),
  authorization_url_fragment: z.string().max(200).optional(),
  authorization_url_replacements: z.record(z.string().min(1).max(200), z.string().max(200)).optional(),
  scope_separator: z.string().min(1).max(8).default(' '),
  default_scopes: z.array(z.string().min(1).max(500)).max(100).optional(),
  disable_pkce: z.boolean().optional(),
  /** OAUTH1 signature method. */
  signature_method: z.enum(['HMAC-SHA1', 'HMAC-SHA256', 'RSA-SHA1', 'PLAINTEXT']).optional(),
  /** Client authentication at the token endpoint: in the body (default) or HTTP Basic. */
  authorization_method: z.enum(['body', 'header']).optional(),
  body_format: z.enum(['form', 'json']).optional(),
  token_request_auth_method: z.enum(['basic', 'custom', 'private_key_jwt']).optional(),
  /** Token-response paths copied into connection_config (e.g. instance_url). */
  token_response_metadata: z.array(METADATA_PATH).max(50).optional(),
  /** Callback query keys copied into connection_config (e.g. realmId). */
  redirect_uri_metadata: z.array(METADATA_PATH).max(50).optional(),
  alternate_access_token_response_path: METADATA_PATH.optional(),
  authorization_code_param_in_callback: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  /** Refresh this many seconds before expiry (default: the refresher's margin). */
  token_expiration_buffer: z.number().int().min(0).max(86_400).optional(),
  connection_config: keyedMap(FIELD_KEY, FieldSchema).optional(),
  credentials: keyedMap(FIELD_KEY, CredentialFieldSchema).optional(),
  proxy: ProxySchema.optional(),
};

type ProviderShape = z.infer<z.ZodObject<typeof shape>> & { allow_private_network: boolean };

/** Cross-field rules; URL schemes depend on allow_private_network. */
function checkProvider(provider: ProviderShape, ctx: z.core.$RefinementCtx<ProviderShape>): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message, input: provider });
  for (const [path, template] of urlTemplates(provider)) {
    for (const alternative of analyzeUrlTemplate(template)) {
      if (provider.allow_private_network) {
        // Whoever filled the host could aim it at any address of the private network (a port scanner).
        if (alternative.dynamicOrigin || alternative.dynamicHost) issue(path, 'must have a fixed host: a provider with allow_private_network cannot take its host from a placeholder');
        continue;
      }
      if (alternative.url.protocol !== 'https:') issue(path, 'must use https (http needs allow_private_network)');
      const host = alternative.url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!alternative.dynamicOrigin && !alternative.dynamicHost && (isLocalHostname(host) || isBlockedAddress(host))) {
        issue(path, 'points at a private or local address (needs allow_private_network)');
      }
    }
  }
  const required: Partial<Record<AuthMode, (keyof ProviderShape)[]>> = {
    OAUTH2: ['authorization_url', 'token_url'],
    APP: ['authorization_url', 'token_url'],
    CUSTOM: ['authorization_url', 'token_url'],
    OAUTH1: ['request_url', 'authorization_url', 'token_url'],
    OAUTH2_CC: ['token_url'],
    TWO_STEP: ['token_url'],
  };
  for (const key of required[provider.auth_mode] ?? []) {
    if (provider[key] === undefined) issue([key], `is required for auth_mode ${provider.auth_mode}`);
  }
  const grant = provider.token_params?.grant_type;
  if (provider.auth_mode === 'OAUTH2' && grant !== undefined && grant !== 'authorization_code') {
    issue(['token_params', 'grant_type'], 'must be authorization_code for OAUTH2');
  }
  if (provider.auth_mode === 'API_KEY') {
    const templates = [provider.proxy?.base_url ?? '', ...Object.values(provider.proxy?.headers ?? {}), ...Object.values(provider.proxy?.query ?? {})];
    if (!templates.some((t) => t.includes('${apiKey}') || t.includes('${credentials.apiKey}'))) {
      issue(['proxy'], 'API_KEY providers must inject ${apiKey} through proxy.headers, proxy.query or proxy.base_url');
    }
  }
  // A ${connectionConfig.x} must be something we can fill: a declared field or copied metadata.
  const known = new Set([...Object.keys(provider.connection_config ?? {}), ...(provider.token_response_metadata ?? []), ...(provider.redirect_uri_metadata ?? [])]);
  for (const [path, template] of allTemplates(provider)) {
    for (const placeholder of placeholdersOf(template)) {
      if (placeholder.root === 'connectionConfig' && !known.has(placeholder.key)) {
        issue(path, `uses \${connectionConfig.${placeholder.key}}, which is not declared in connection_config, token_response_metadata or redirect_uri_metadata`);
      }
    }
  }
}

type Path = (string | number)[];

function urlTemplates(p: ProviderShape): [Path, string][] {
  const out: [Path, string][] = [];
  const add = (path: Path, value: string | undefined) => value !== undefined && out.push([path, value]);
  for (const key of ['docs', 'docs_connect', 'setup_guide_url', 'authorization_url', 'request_url', 'refresh_url'] as const) add([key], p[key]);
  if (typeof p.token_url === 'string') add(['token_url'], p.token_url);
  else for (const [mode, url] of Object.entries(p.token_url ?? {})) add(['token_url', mode], url);
  add(['proxy', 'base_url'], p.proxy?.base_url);
  add(['proxy', 'verification', 'base_url_override'], p.proxy?.verification?.base_url_override);
  return out;
}

function allTemplates(p: ProviderShape): [Path, string][] {
  const out = urlTemplates(p);
  const addMap = (path: Path, map: Record<string, string> | undefined) => Object.entries(map ?? {}).forEach(([k, v]) => out.push([[...path, k], v]));
  addMap(['authorization_params'], p.authorization_params);
  addMap(['token_params'], p.token_params);
  addMap(['refresh_params'], p.refresh_params);
  addMap(['proxy', 'headers'], p.proxy?.headers);
  addMap(['proxy', 'query'], p.proxy?.query);
  addMap(['proxy', 'verification', 'headers'], p.proxy?.verification?.headers);
  return out;
}

// Cross-field rules assume well-typed fields, so they wait until every field is valid.
const ONLY_WHEN_VALID = { when: (payload: z.core.ParsePayload) => payload.issues.length === 0 };

/** Built-in catalog entries: never allowed to reach private networks. */
export const ProviderSchema = z
  .strictObject({
    ...shape,
    allow_private_network: z.literal(false, { error: 'allow_private_network can only be set on custom providers' }).default(false),
  })
  .superRefine(checkProvider, ONLY_WHEN_VALID);

/** Per-environment custom providers (`PUT /providers/:name`): may opt in to private networks and http. */
export const CustomProviderSchema = z
  .strictObject({
    ...shape,
    allow_private_network: z.boolean().default(false),
  })
  .superRefine(checkProvider, ONLY_WHEN_VALID);

/** A validated provider definition (defaults applied). */
export type Provider = z.output<typeof CustomProviderSchema>;
/** What a catalog entry is written as (defaults optional). */
export type ProviderInput = z.input<typeof ProviderSchema>;
export type CustomProviderInput = z.input<typeof CustomProviderSchema>;
export type ProviderField = z.output<typeof CredentialFieldSchema>;
