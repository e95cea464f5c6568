import type { ProviderInput } from '../provider-schema';

// DocuSign: HTTP Basic client authentication; `extended` keeps refresh tokens alive. The account's
// API host (base_uri) is read from /oauth/userinfo after connecting.
const docusign = {
  auth_mode: 'OAUTH2',
  authorization_method: 'header',
  default_scopes: ['signature', 'extended'],
  docs: 'https://developers.docusign.com/platform/auth/authcode/',
  connection_config: {
    base_uri: {
      type: 'string',
      title: 'Account base URI',
      description: 'base_uri of the account from /oauth/userinfo',
      format: 'uri',
      example: 'https://na3.docusign.net',
      optional: true,
    },
  },
} satisfies Partial<ProviderInput>;

export const fileProviders = {
  // Dropbox issues a refresh token only for token_access_type=offline.
  dropbox: {
    display_name: 'Dropbox',
    categories: ['storage'],
    docs: 'https://developers.dropbox.com/oauth-guide',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://www.dropbox.com/oauth2/authorize',
    token_url: 'https://api.dropboxapi.com/oauth2/token',
    authorization_params: { token_access_type: 'offline' },
    proxy: { base_url: 'https://api.dropboxapi.com' },
  },
  box: {
    display_name: 'Box',
    categories: ['storage'],
    docs: 'https://developer.box.com/guides/authentication/oauth2/',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://account.box.com/api/oauth2/authorize',
    token_url: 'https://api.box.com/oauth2/token',
    proxy: { base_url: 'https://api.box.com' },
  },
  docusign: {
    ...docusign,
    display_name: 'DocuSign',
    categories: ['legal'],
    authorization_url: 'https://account.docusign.com/oauth/auth',
    token_url: 'https://account.docusign.com/oauth/token',
    proxy: { base_url: '${connectionConfig.base_uri} || https://account.docusign.com' },
  },
  'docusign-sandbox': {
    ...docusign,
    display_name: 'DocuSign (developer sandbox)',
    categories: ['legal'],
    authorization_url: 'https://account-d.docusign.com/oauth/auth',
    token_url: 'https://account-d.docusign.com/oauth/token',
    proxy: { base_url: '${connectionConfig.base_uri} || https://account-d.docusign.com' },
  },
} satisfies Record<string, ProviderInput>;
