import type { ProviderInput } from '../provider-schema';

// Atlassian Cloud OAuth 2.0 (3LO). `audience` is mandatory, `offline_access` returns a rotating
// refresh token. API calls go through api.atlassian.com/ex/{product}/{cloudId}/..., so the proxy
// base is the gateway and callers put the cloud id in the path.
const atlassianCloud = {
  auth_mode: 'OAUTH2',
  authorization_url: 'https://auth.atlassian.com/authorize',
  token_url: 'https://auth.atlassian.com/oauth/token',
  authorization_params: { audience: 'api.atlassian.com', prompt: 'consent' },
  default_scopes: ['offline_access'],
  proxy: { base_url: 'https://api.atlassian.com' },
} satisfies Partial<ProviderInput>;

export const atlassianProviders = {
  atlassian: {
    ...atlassianCloud,
    display_name: 'Atlassian',
    categories: ['ticketing', 'knowledge-base'],
    docs: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  },
  jira: {
    ...atlassianCloud,
    display_name: 'Jira',
    categories: ['ticketing', 'dev-tools'],
    docs: 'https://developer.atlassian.com/cloud/jira/platform/oauth-2-3lo-apps/',
  },
  confluence: {
    ...atlassianCloud,
    display_name: 'Confluence',
    categories: ['knowledge-base'],
    docs: 'https://developer.atlassian.com/cloud/confluence/oauth-2-3lo-apps/',
  },
  bitbucket: {
    display_name: 'Bitbucket',
    categories: ['dev-tools'],
    docs: 'https://developer.atlassian.com/cloud/bitbucket/oauth-2/',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://bitbucket.org/site/oauth2/authorize',
    token_url: 'https://bitbucket.org/site/oauth2/access_token',
    // Bitbucket documents client authentication with HTTP Basic.
    authorization_method: 'header',
    proxy: { base_url: 'https://api.bitbucket.org' },
  },
  // Trello still uses OAuth 1.0a; scopes are comma-separated and tokens can be made non-expiring.
  trello: {
    display_name: 'Trello',
    categories: ['productivity', 'ticketing'],
    docs: 'https://developer.atlassian.com/cloud/trello/guides/rest-api/authorization/',
    auth_mode: 'OAUTH1',
    request_url: 'https://trello.com/1/OAuthGetRequestToken',
    authorization_url: 'https://trello.com/1/OAuthAuthorizeToken',
    token_url: 'https://trello.com/1/OAuthGetAccessToken',
    signature_method: 'HMAC-SHA1',
    authorization_params: { expiration: 'never' },
    scope_separator: ',',
    default_scopes: ['read', 'write'],
    proxy: { base_url: 'https://api.trello.com' },
  },
} satisfies Record<string, ProviderInput>;
