import { CATALOG, isCatalogProvider } from '../../../lambdas/providers/catalog';
import { CATALOG_ENTRIES } from '../../../lambdas/providers/catalog/entries';
import { analyzeUrlTemplate } from '../../../lambdas/providers/template';
import { PROVIDER_NAME, ProviderSchema, type Provider } from '../../../lambdas/providers/provider-schema';

const names = Object.keys(CATALOG_ENTRIES);

/** Every URL-valued field of a provider. */
function urlsOf(p: Provider): string[] {
  const tokenUrls = typeof p.token_url === 'string' ? [p.token_url] : Object.values(p.token_url ?? {});
  return [p.docs, p.docs_connect, p.setup_guide_url, p.authorization_url, p.request_url, p.refresh_url, ...tokenUrls, p.proxy?.base_url, p.proxy?.verification?.base_url_override]
    .filter((u): u is string => u !== undefined);
}

describe('catalog', () => {
  test('has at least 40 entries with valid names', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
    for (const name of names) expect(name).toMatch(PROVIDER_NAME);
    expect(Object.keys(CATALOG).sort()).toEqual([...names].sort());
  });

  test.each(names)('%s validates against ProviderSchema', (name) => {
    const result = ProviderSchema.safeParse(CATALOG_ENTRIES[name]);
    if (!result.success) throw new Error(`${name}: ${JSON.stringify(result.error.issues)}`);
    expect(result.data.allow_private_network).toBe(false);
  });

  test.each(names)('%s never sets allow_private_network, and every URL is https', (name) => {
    expect(CATALOG_ENTRIES[name]).not.toHaveProperty('allow_private_network');
    const provider = CATALOG[name];
    for (const url of urlsOf(provider)) {
      for (const alternative of analyzeUrlTemplate(url)) {
        // Origins from values (e.g. instance_url) are forced to https at interpolation time.
        if (!alternative.dynamicOrigin) expect(alternative.url.protocol).toBe('https:');
      }
    }
  });

  test('OAuth entries have their endpoints; API_KEY and BASIC entries can be verified', () => {
    for (const [name, p] of Object.entries(CATALOG)) {
      if (p.auth_mode === 'OAUTH2') {
        expect([name, typeof p.authorization_url, typeof p.token_url]).toEqual([name, 'string', 'string']);
      }
      if (p.auth_mode === 'API_KEY' || p.auth_mode === 'BASIC') {
        // At least one endpoint: credentials are verified before they are stored.
        expect([name, (p.proxy?.verification?.endpoints.length ?? 0) > 0]).toEqual([name, true]);
      }
    }
  });

  test('includes every provider the product promises, with the right auth modes', () => {
    const expected: Record<string, string> = {
      github: 'OAUTH2', 'github-app': 'APP', google: 'OAUTH2', 'google-calendar': 'OAUTH2', 'google-mail': 'OAUTH2',
      'google-drive': 'OAUTH2', 'google-sheet': 'OAUTH2', slack: 'OAUTH2', salesforce: 'OAUTH2', hubspot: 'OAUTH2',
      notion: 'OAUTH2', microsoft: 'OAUTH2', outlook: 'OAUTH2', 'microsoft-teams': 'OAUTH2', 'sharepoint-online': 'OAUTH2',
      linear: 'OAUTH2', jira: 'OAUTH2', atlassian: 'OAUTH2', confluence: 'OAUTH2', zendesk: 'OAUTH2', shopify: 'OAUTH2',
      intercom: 'OAUTH2', stripe: 'OAUTH2', airtable: 'OAUTH2', asana: 'OAUTH2', dropbox: 'OAUTH2', box: 'OAUTH2',
      zoom: 'OAUTH2', pipedrive: 'OAUTH2', quickbooks: 'OAUTH2', xero: 'OAUTH2', calendly: 'OAUTH2', attio: 'OAUTH2',
      figma: 'OAUTH2', gitlab: 'OAUTH2', bitbucket: 'OAUTH2', discord: 'OAUTH2', monday: 'OAUTH2', clickup: 'OAUTH2',
      trello: 'OAUTH1', docusign: 'OAUTH2', openai: 'API_KEY', anthropic: 'API_KEY', sendgrid: 'API_KEY', twilio: 'BASIC',
      gong: 'BASIC', 'netsuite-tba': 'TBA', mailchimp: 'OAUTH2', typeform: 'OAUTH2', paypal: 'OAUTH2_CC',
    };
    for (const [name, mode] of Object.entries(expected)) expect([name, CATALOG[name]?.auth_mode]).toEqual([name, mode]);
  });

  test('is frozen', () => {
    expect(Object.isFrozen(CATALOG)).toBe(true);
    expect(Object.isFrozen(CATALOG.google.authorization_params)).toBe(true);
    expect(isCatalogProvider('slack')).toBe(true);
    expect(isCatalogProvider('toString')).toBe(false);
  });
});

describe('catalog accuracy', () => {
  test('google: offline access with re-consent, PKCE on', () => {
    for (const name of ['google', 'google-calendar', 'google-mail', 'google-drive', 'google-sheet']) {
      expect(CATALOG[name]).toMatchObject({
        authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
        token_url: 'https://oauth2.googleapis.com/token',
        authorization_params: { access_type: 'offline', prompt: 'consent' },
      });
      expect(CATALOG[name].disable_pkce).toBeUndefined();
    }
    expect(CATALOG['google-mail'].proxy?.base_url).toBe('https://gmail.googleapis.com');
    expect(CATALOG['google-sheet'].proxy?.base_url).toBe('https://sheets.googleapis.com');
  });

  test('slack: comma scopes, no PKCE, user token path', () => {
    expect(CATALOG.slack).toMatchObject({
      authorization_url: 'https://slack.com/oauth/v2/authorize',
      token_url: 'https://slack.com/api/oauth.v2.access',
      scope_separator: ',',
      disable_pkce: true,
      alternate_access_token_response_path: 'authed_user.access_token',
      proxy: { base_url: 'https://slack.com/api' },
    });
    expect(CATALOG.slack.token_response_metadata).toContain('team.id');
  });

  test('salesforce: My Domain with login fallback, instance_url from the token response', () => {
    expect(CATALOG.salesforce).toMatchObject({
      authorization_url: 'https://${connectionConfig.hostname}/services/oauth2/authorize || https://login.salesforce.com/services/oauth2/authorize',
      token_url: 'https://${connectionConfig.hostname}/services/oauth2/token || https://login.salesforce.com/services/oauth2/token',
      token_response_metadata: ['instance_url'],
      proxy: { base_url: '${connectionConfig.instance_url}' },
    });
    expect(CATALOG.salesforce.default_scopes).toContain('offline_access');
  });

  test('notion: Basic client auth, JSON body, version header', () => {
    expect(CATALOG.notion).toMatchObject({
      authorization_url: 'https://api.notion.com/v1/oauth/authorize',
      token_url: 'https://api.notion.com/v1/oauth/token',
      authorization_method: 'header',
      body_format: 'json',
      authorization_params: { owner: 'user' },
      proxy: { base_url: 'https://api.notion.com', headers: { 'notion-version': '2022-06-28' } },
    });
  });

  test('microsoft family: common tenant fallback, offline_access', () => {
    for (const name of ['microsoft', 'outlook', 'microsoft-teams', 'sharepoint-online']) {
      expect(CATALOG[name].authorization_url).toBe(
        'https://login.microsoftonline.com/${connectionConfig.tenant}/oauth2/v2.0/authorize || https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
      );
      expect(CATALOG[name].default_scopes).toContain('offline_access');
      expect(CATALOG[name].proxy?.base_url).toBe('https://graph.microsoft.com');
    }
  });

  test('linear: comma scopes, no PKCE', () => {
    expect(CATALOG.linear).toMatchObject({
      authorization_url: 'https://linear.app/oauth/authorize',
      token_url: 'https://api.linear.app/oauth/token',
      scope_separator: ',',
      disable_pkce: true,
    });
  });

  test('atlassian family: audience and offline_access', () => {
    for (const name of ['atlassian', 'jira', 'confluence']) {
      expect(CATALOG[name]).toMatchObject({
        authorization_url: 'https://auth.atlassian.com/authorize',
        token_url: 'https://auth.atlassian.com/oauth/token',
        authorization_params: { audience: 'api.atlassian.com', prompt: 'consent' },
        default_scopes: ['offline_access'],
      });
    }
  });

  test('zendesk and shopify: subdomain hosts; shopify token header, comma scopes, no PKCE', () => {
    expect(CATALOG.zendesk).toMatchObject({
      authorization_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/authorizations/new',
      token_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens',
      proxy: { base_url: 'https://${connectionConfig.subdomain}.zendesk.com' },
    });
    expect(CATALOG.shopify).toMatchObject({
      authorization_url: 'https://${connectionConfig.subdomain}.myshopify.com/admin/oauth/authorize',
      token_url: 'https://${connectionConfig.subdomain}.myshopify.com/admin/oauth/access_token',
      scope_separator: ',',
      disable_pkce: true,
      proxy: { headers: { 'x-shopify-access-token': '${accessToken}' } },
    });
  });

  test('pipedrive and figma: Basic client authentication', () => {
    for (const name of ['pipedrive', 'figma']) {
      expect(CATALOG[name]).toMatchObject({ authorization_method: 'header', token_request_auth_method: 'basic' });
    }
    expect(CATALOG.pipedrive.token_url).toBe('https://oauth.pipedrive.com/oauth/token');
    expect(CATALOG.figma).toMatchObject({ token_url: 'https://api.figma.com/v1/oauth/token', refresh_url: 'https://api.figma.com/v1/oauth/refresh' });
  });

  test('quickbooks: realmId from the callback', () => {
    expect(CATALOG.quickbooks).toMatchObject({
      authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
      token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
      redirect_uri_metadata: ['realmId'],
      proxy: { base_url: 'https://quickbooks.api.intuit.com' },
    });
  });

  test('github and github-app', () => {
    expect(CATALOG.github).toMatchObject({
      authorization_url: 'https://github.com/login/oauth/authorize',
      token_url: 'https://github.com/login/oauth/access_token',
      proxy: { base_url: 'https://api.github.com' },
    });
    expect(CATALOG['github-app']).toMatchObject({
      auth_mode: 'APP',
      authorization_url: 'https://github.com/apps/${connectionConfig.appPublicLink}/installations/new',
      token_url: 'https://api.github.com/app/installations/${connectionConfig.installation_id}/access_tokens',
    });
    expect(CATALOG['github-app-oauth'].token_url).toEqual({
      OAUTH2: 'https://github.com/login/oauth/access_token',
      APP: 'https://api.github.com/app/installations/${connectionConfig.installation_id}/access_tokens',
    });
  });

  test('API keys: header templates and verification endpoints', () => {
    expect(CATALOG.openai.proxy).toEqual({
      base_url: 'https://api.openai.com',
      headers: { authorization: 'Bearer ${apiKey}' },
      verification: { method: 'GET', endpoints: ['/v1/models'] },
    });
    expect(CATALOG.anthropic.proxy).toMatchObject({
      base_url: 'https://api.anthropic.com',
      headers: { 'x-api-key': '${apiKey}', 'anthropic-version': '2023-06-01' },
      verification: { method: 'GET', endpoints: ['/v1/models'] },
    });
    expect(CATALOG.sendgrid.proxy?.headers).toEqual({ authorization: 'Bearer ${apiKey}' });
    expect(CATALOG.openai.credentials?.apiKey.secret).toBe(true);
  });

  test('trello is OAuth 1.0a; paypal is client credentials', () => {
    expect(CATALOG.trello).toMatchObject({
      request_url: 'https://trello.com/1/OAuthGetRequestToken',
      authorization_url: 'https://trello.com/1/OAuthAuthorizeToken',
      token_url: 'https://trello.com/1/OAuthGetAccessToken',
      scope_separator: ',',
    });
    expect(CATALOG.paypal).toMatchObject({
      token_url: 'https://api-m.paypal.com/v1/oauth2/token',
      token_params: { grant_type: 'client_credentials' },
    });
  });

  test('dropbox offline tokens; xero offline_access', () => {
    expect(CATALOG.dropbox.authorization_params).toEqual({ token_access_type: 'offline' });
    expect(CATALOG.xero).toMatchObject({ token_url: 'https://identity.xero.com/connect/token', default_scopes: ['offline_access'] });
  });
});

test('every provider links its documentation, and where end users type a key or password, the page that shows it', () => {
  const problems = Object.entries(CATALOG).flatMap(([name, p]) => [
    ...(p.docs?.startsWith('https://') ? [] : [`${name}: no https docs`]),
    ...((p.auth_mode === 'API_KEY' || p.auth_mode === 'BASIC') && !p.docs_connect?.startsWith('https://') ? [`${name}: no https docs_connect`] : []),
  ]);
  expect(problems).toEqual([]);
});
