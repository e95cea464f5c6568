import fc from 'fast-check';
import * as z from 'zod';
import { CATALOG_ENTRIES } from '../../../lambdas/providers/catalog/entries';
import { AUTH_MODES, CustomProviderSchema, isValidProviderName, ProviderSchema } from '../../../lambdas/providers/provider-schema';

const apiKeyProvider = {
  display_name: 'Acme',
  auth_mode: 'API_KEY',
  proxy: { base_url: 'https://api.acme.test', headers: { authorization: 'Bearer ${apiKey}' } },
};
const oauthProvider = {
  display_name: 'Acme',
  auth_mode: 'OAUTH2',
  authorization_url: 'https://${connectionConfig.subdomain}.acme.test/oauth/authorize || https://acme.test/oauth/authorize',
  token_url: 'https://acme.test/oauth/token',
  connection_config: { subdomain: { type: 'string', title: 'Subdomain', optional: true } },
  proxy: { base_url: 'https://api.acme.test' },
};

/** Messages of a failed parse, as "path: message". */
function problems(schema: z.ZodType, input: unknown): string[] {
  const result = schema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('ProviderSchema', () => {
  test('accepts a minimal provider and applies defaults', () => {
    const parsed = ProviderSchema.parse(oauthProvider);
    expect(parsed).toMatchObject({ scope_separator: ' ', categories: [], allow_private_network: false });
  });

  test('accepts every Nango auth mode', () => {
    expect(AUTH_MODES).toEqual(expect.arrayContaining(['OAUTH2', 'OAUTH2_CC', 'OAUTH1', 'API_KEY', 'BASIC', 'APP', 'CUSTOM', 'NONE', 'TBA', 'JWT', 'TWO_STEP']));
    for (const mode of ['NONE', 'JWT', 'BILL', 'SIGNATURE', 'AWS_SIGV4']) {
      expect(problems(ProviderSchema, { display_name: 'x', auth_mode: mode })).toEqual([]);
    }
    expect(problems(ProviderSchema, { display_name: 'x', auth_mode: 'MAGIC' })[0]).toMatch(/^auth_mode: auth_mode must be one of OAUTH2/);
  });

  test('rejects unknown keys, at the top and nested', () => {
    expect(problems(ProviderSchema, { ...oauthProvider, scopes_separator: ',' })).toEqual([': Unrecognized key: "scopes_separator"']);
    expect(problems(ProviderSchema, { ...oauthProvider, proxy: { base_url: 'https://a.test', header: {} } })).toEqual(['proxy: Unrecognized key: "header"']);
  });

  test('requires the endpoints of each OAuth mode', () => {
    expect(problems(ProviderSchema, { display_name: 'x', auth_mode: 'OAUTH2', token_url: 'https://a.test/t' })).toEqual([
      'authorization_url: is required for auth_mode OAUTH2',
    ]);
    expect(problems(ProviderSchema, { display_name: 'x', auth_mode: 'OAUTH2_CC' })).toEqual(['token_url: is required for auth_mode OAUTH2_CC']);
    expect(problems(ProviderSchema, { display_name: 'x', auth_mode: 'OAUTH1', authorization_url: 'https://a.test/a', token_url: 'https://a.test/t' })).toEqual([
      'request_url: is required for auth_mode OAUTH1',
    ]);
    expect(problems(ProviderSchema, { ...oauthProvider, token_params: { grant_type: 'password' } })).toEqual([
      'token_params.grant_type: must be authorization_code for OAUTH2',
    ]);
  });

  test('token_url may be a map per auth mode', () => {
    const custom = { ...oauthProvider, auth_mode: 'CUSTOM', token_url: { OAUTH2: 'https://a.test/t', APP: 'https://api.a.test/app' } };
    expect(problems(ProviderSchema, custom)).toEqual([]);
    expect(problems(ProviderSchema, { ...custom, token_url: { MAGIC: 'https://a.test/t' } })).toHaveLength(1);
  });

  test('URLs must be https', () => {
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'http://acme.test/token' })).toEqual([
      'token_url: must use https (http needs allow_private_network)',
    ]);
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'ftp://acme.test/token' })).toEqual(['token_url: a URL must start with https:// (or a whole-origin placeholder)']);
    expect(problems(ProviderSchema, { ...oauthProvider, docs: 'javascript:alert(1)' })).toEqual(['docs: a URL must start with https:// (or a whole-origin placeholder)']);
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'https://user:pw@acme.test/token' })).toEqual([
      'token_url: URL must not contain credentials (user:password@)',
    ]);
  });

  test('literal private or local hosts need allow_private_network', () => {
    for (const base_url of ['https://localhost', 'https://127.0.0.1:8443', 'https://169.254.169.254', 'https://[::1]', 'https://10.0.0.8', 'https://api.localhost']) {
      expect(problems(ProviderSchema, { ...apiKeyProvider, proxy: { ...apiKeyProvider.proxy, base_url } })).toEqual([
        'proxy.base_url: points at a private or local address (needs allow_private_network)',
      ]);
    }
  });

  test('placeholders must be well-formed and fillable', () => {
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'https://${connectionConfig.subdomain.acme.test/t' })[0]).toMatch(/^token_url: malformed placeholder/);
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'https://${secrets.x}.acme.test/t' })[0]).toMatch(/^token_url: malformed placeholder/);
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'https://${connectionConfig.region}.acme.test/t' })).toEqual([
      'token_url: uses ${connectionConfig.region}, which is not declared in connection_config, token_response_metadata or redirect_uri_metadata',
    ]);
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: 'https://acme.test/t || ' })).toEqual(['token_url: empty alternative around ||']);
    expect(problems(ProviderSchema, { ...oauthProvider, authorization_params: { x: 'a${b' } })[0]).toMatch(/^authorization_params.x: malformed placeholder/);
    // A leading placeholder must be a whole origin.
    expect(problems(ProviderSchema, { ...oauthProvider, token_url: '${connectionConfig.subdomain}.acme.test/t' })).toEqual([
      'token_url: a placeholder at the start of a URL must be a whole origin, followed by /, ? or #',
    ]);
  });

  test('API_KEY providers must inject the key', () => {
    expect(problems(ProviderSchema, { ...apiKeyProvider, proxy: { base_url: 'https://api.acme.test' } })).toEqual([
      'proxy: API_KEY providers must inject ${apiKey} through proxy.headers, proxy.query or proxy.base_url',
    ]);
    expect(problems(ProviderSchema, { ...apiKeyProvider, proxy: { base_url: 'https://api.acme.test', query: { key: '${apiKey}' } } })).toEqual([]);
  });

  test('field definitions are checked', () => {
    const withField = (field: unknown) => ({ ...oauthProvider, connection_config: { subdomain: field } });
    expect(problems(ProviderSchema, withField({ type: 'string', title: 'S', pattern: '([' }))).toEqual([
      'connection_config.subdomain.pattern: pattern is not a valid regular expression',
    ]);
    expect(problems(ProviderSchema, withField({ type: 'string', title: 'S', secret: true }))).toEqual(['connection_config.subdomain: Unrecognized key: "secret"']);
    expect(problems(ProviderSchema, { ...oauthProvider, connection_config: { ...oauthProvider.connection_config, __proto__x: { title: 'x' }, 'bad key': { title: 'x' } } })).toEqual([
      'connection_config.bad key: invalid field name (letters, digits, _)',
    ]);
  });

  test('a __proto__ key is rejected, not silently dropped', () => {
    const input = JSON.parse('{"display_name":"x","auth_mode":"API_KEY","proxy":{"base_url":"https://a.test","headers":{"authorization":"Bearer ${apiKey}","__proto__":"y"}}}');
    expect(problems(CustomProviderSchema, input)).toEqual(['proxy.headers.__proto__: invalid header name']);
  });

  test('verification endpoints are single-slash paths', () => {
    const withEndpoints = (endpoints: string[]) => ({ ...apiKeyProvider, proxy: { ...apiKeyProvider.proxy, verification: { method: 'GET', endpoints } } });
    expect(problems(ProviderSchema, withEndpoints(['/v1/models']))).toEqual([]);
    for (const endpoint of ['//evil.test/x', 'v1/models', '/\\evil.test', 'https://evil.test/']) {
      expect(problems(ProviderSchema, withEndpoints([endpoint]))).toEqual(['proxy.verification.endpoints.0: must be a path starting with a single /']);
    }
  });

  test('catalog entries may not set allow_private_network', () => {
    expect(problems(ProviderSchema, { ...CATALOG_ENTRIES.openai, allow_private_network: true })).toEqual([
      'allow_private_network: allow_private_network can only be set on custom providers',
    ]);
  });
});

describe('CustomProviderSchema', () => {
  test('allow_private_network unlocks http and private hosts', () => {
    const local = { ...apiKeyProvider, proxy: { ...apiKeyProvider.proxy, base_url: 'http://10.0.0.8:8080' } };
    expect(problems(CustomProviderSchema, local)).toEqual([
      'proxy.base_url: must use https (http needs allow_private_network)',
      'proxy.base_url: points at a private or local address (needs allow_private_network)',
    ]);
    expect(CustomProviderSchema.parse({ ...local, allow_private_network: true }).allow_private_network).toBe(true);
    expect(CustomProviderSchema.parse(apiKeyProvider).allow_private_network).toBe(false);
  });

  test('every catalog entry is also a valid custom provider', () => {
    for (const entry of Object.values(CATALOG_ENTRIES)) expect(CustomProviderSchema.safeParse(entry).success).toBe(true);
  });
});

describe('provider names', () => {
  test.each([
    ['github', true], ['google-mail', true], ['a', true], ['0x', true], ['my_provider-2', true], ['a'.repeat(63), true],
    ['', false], ['-a', false], ['_a', false], ['GitHub', false], ['a b', false], ['a/b', false], ['a'.repeat(64), false], ['é', false],
  ])('%j valid: %s', (name, valid) => expect(isValidProviderName(name)).toBe(valid));
});

describe('properties', () => {
  test('arbitrary JSON is either accepted or rejected with a ZodError, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        for (const schema of [ProviderSchema, CustomProviderSchema]) {
          const result = schema.safeParse(value);
          if (!result.success) expect(result.error).toBeInstanceOf(z.ZodError);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('mutated catalog entries are accepted or rejected with a ZodError', () => {
    const entries = Object.values(CATALOG_ENTRIES);
    const keys = ['display_name', 'auth_mode', 'authorization_url', 'token_url', 'proxy', 'connection_config', 'scope_separator', 'token_params', 'default_scopes', 'allow_private_network'];
    const hostile = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('https://${connectionConfig.x}', '${apiKey}', 'http://127.0.0.1', '${', 'https://a.test/${credentials.k}', '__proto__'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...entries), fc.constantFrom(...keys), hostile, (entry, key, value) => {
        for (const schema of [ProviderSchema, CustomProviderSchema]) {
          const result = schema.safeParse({ ...entry, [key]: value });
          if (!result.success) expect(result.error).toBeInstanceOf(z.ZodError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
