import { providerFacts } from '../../../lambdas/integrations/provider-facts';

describe('providerFacts', () => {
  test('a catalog name means the catalog entry, whatever an environment row says', () => {
    expect(providerFacts('salesforce', { custom_display_name: 'Shadow', custom_auth_mode: 'API_KEY', custom_default_scopes: null })).toEqual({
      display_name: 'Salesforce',
      auth_mode: 'OAUTH2',
      default_scopes: ['api', 'offline_access'],
    });
  });

  test('other names are the environment\'s custom provider, or nothing', () => {
    expect(providerFacts('acme', { custom_display_name: 'Acme', custom_auth_mode: 'OAUTH2', custom_default_scopes: ['read'] })).toEqual({
      display_name: 'Acme',
      auth_mode: 'OAUTH2',
      default_scopes: ['read'],
    });
    expect(providerFacts('acme', { custom_display_name: null, custom_auth_mode: null, custom_default_scopes: null })).toBeUndefined();
    expect(providerFacts('acme')).toBeUndefined();
    expect(providerFacts('__proto__')).toBeUndefined();
  });
});
