import type { ProviderInput } from '../provider-schema';

// A GitHub App's public installation page; GitHub redirects back with installation_id.
const appInstallUrl = 'https://github.com/apps/${connectionConfig.appPublicLink}/installations/new';
const appTokenUrl = 'https://api.github.com/app/installations/${connectionConfig.installation_id}/access_tokens';
const appConnectionConfig = {
  appPublicLink: {
    type: 'string',
    title: 'App public link name',
    description: 'The slug in https://github.com/apps/<slug>',
    pattern: '^[a-z0-9][a-z0-9-]*$',
    example: 'my-app',
  },
} satisfies ProviderInput['connection_config'];

export const githubProviders = {
  github: {
    display_name: 'GitHub',
    categories: ['dev-tools', 'ticketing'],
    docs: 'https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://github.com/login/oauth/authorize',
    token_url: 'https://github.com/login/oauth/access_token',
    proxy: { base_url: 'https://api.github.com' },
  },
  // Installation access tokens are minted with a JWT signed by the app's private key.
  'github-app': {
    display_name: 'GitHub App',
    categories: ['dev-tools', 'ticketing'],
    docs: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation',
    auth_mode: 'APP',
    authorization_url: appInstallUrl,
    token_url: appTokenUrl,
    redirect_uri_metadata: ['installation_id', 'setup_action'],
    connection_config: appConnectionConfig,
    proxy: { base_url: 'https://api.github.com' },
  },
  // A GitHub App that also requests user authorization during installation: both token kinds.
  'github-app-oauth': {
    display_name: 'GitHub App (with user authorization)',
    categories: ['dev-tools', 'ticketing'],
    docs: 'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-user-access-token-for-a-github-app',
    auth_mode: 'CUSTOM',
    authorization_url: appInstallUrl,
    token_url: { OAUTH2: 'https://github.com/login/oauth/access_token', APP: appTokenUrl },
    redirect_uri_metadata: ['installation_id', 'setup_action'],
    connection_config: appConnectionConfig,
    proxy: { base_url: 'https://api.github.com' },
  },
  gitlab: {
    display_name: 'GitLab',
    categories: ['dev-tools', 'ticketing'],
    docs: 'https://docs.gitlab.com/api/oauth2/',
    auth_mode: 'OAUTH2',
    // Self-managed instances give their hostname; otherwise gitlab.com.
    authorization_url: 'https://${connectionConfig.hostname}/oauth/authorize || https://gitlab.com/oauth/authorize',
    token_url: 'https://${connectionConfig.hostname}/oauth/token || https://gitlab.com/oauth/token',
    connection_config: {
      hostname: {
        type: 'string',
        title: 'GitLab hostname',
        description: 'Only for self-managed GitLab; leave empty for gitlab.com',
        format: 'hostname',
        example: 'gitlab.example.com',
        optional: true,
      },
    },
    proxy: { base_url: 'https://${connectionConfig.hostname}/api/v4 || https://gitlab.com/api/v4' },
  },
} satisfies Record<string, ProviderInput>;
