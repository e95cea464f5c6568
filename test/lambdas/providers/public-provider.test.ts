import { CATALOG } from '../../../lambdas/providers/catalog';
import { CustomProviderSchema } from '../../../lambdas/providers/provider-schema';
import { StoredProviderSchema, toApiProvider, toStoredProvider } from '../../../lambdas/providers/public-provider';

describe('toApiProvider', () => {
  test('a catalog provider in Nango shape', () => {
    expect(toApiProvider('zendesk', CATALOG.zendesk)).toEqual({
      name: 'zendesk',
      display_name: 'Zendesk',
      auth_mode: 'OAUTH2',
      categories: ['support', 'ticketing'],
      docs: CATALOG.zendesk.docs,
      authorization_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/authorizations/new',
      token_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens',
      scope_separator: ' ',
      default_scopes: ['read'],
      connection_config: { subdomain: { ...CATALOG.zendesk.connection_config!.subdomain } },
      proxy: { base_url: 'https://${connectionConfig.subdomain}.zendesk.com' },
    });
  });

  test('API-key providers expose the credential form, never header templates', () => {
    const openai = toApiProvider('openai', CATALOG.openai);
    expect(openai.credentials).toEqual({ apiKey: { type: 'string', title: 'API key', secret: true } });
    expect(openai.proxy).toEqual({ base_url: 'https://api.openai.com' });
    expect(JSON.stringify(openai)).not.toContain('${apiKey}');
    expect(openai).not.toHaveProperty('custom');
  });

  test('custom providers: marked, and no URLs, parameters or proxy templates', () => {
    const provider = CustomProviderSchema.parse({
      display_name: 'Internal',
      auth_mode: 'OAUTH2',
      allow_private_network: true,
      authorization_url: 'http://sso.corp.internal/authorize',
      token_url: 'http://sso.corp.internal/token',
      token_params: { client_assertion: 'literal-secret' },
      proxy: { base_url: 'http://10.0.0.5', headers: { 'x-static': 'literal-secret' }, query: { key: 'literal-secret' } },
      default_scopes: ['read'],
    });
    const out = toApiProvider('internal', provider, { custom: true });
    expect(out).toEqual({ name: 'internal', display_name: 'Internal', auth_mode: 'OAUTH2', categories: [], scope_separator: ' ', default_scopes: ['read'], custom: true });
    expect(JSON.stringify(out)).not.toMatch(/literal-secret|corp\.internal|10\.0\.0\.5/);
  });

  test('every catalog entry projects without params, headers or query templates, and copies are mutable', () => {
    for (const [name, provider] of Object.entries(CATALOG)) {
      const out = toApiProvider(name, provider);
      for (const key of ['authorization_params', 'token_params', 'refresh_params', 'allow_private_network', 'token_response_metadata']) expect(out).not.toHaveProperty(key);
      expect(Object.keys(out.proxy ?? {})).toEqual(out.proxy ? ['base_url'] : []);
      out.categories.push('mutated');
    }
    expect(CATALOG.slack.categories).toEqual(['communication']);
  });
});

describe('toStoredProvider', () => {
  test("the whole definition, named, marked when custom, and a copy the caller may change", () => {
    const out = toStoredProvider('openai', CATALOG.openai);
    expect(out).toEqual({ name: 'openai', ...CATALOG.openai });
    expect(out).not.toHaveProperty('custom');
    out.proxy!.headers!.authorization = 'changed';
    expect(CATALOG.openai.proxy!.headers!.authorization).not.toBe('changed');
    expect(toStoredProvider('x', CATALOG.openai, { custom: true }).custom).toBe(true);
    expect(StoredProviderSchema.safeParse(toStoredProvider('openai', CATALOG.openai)).success).toBe(true);
  });
});
