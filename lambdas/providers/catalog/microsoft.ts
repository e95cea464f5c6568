import type { ProviderInput } from '../provider-schema';

// Microsoft identity platform v2.0. The tenant defaults to `common` (any work/school or personal
// account); `offline_access` is what returns a refresh token. Microsoft supports PKCE for web
// apps too, so it stays on.
const microsoft = {
  auth_mode: 'OAUTH2',
  authorization_url: 'https://login.microsoftonline.com/${connectionConfig.tenant}/oauth2/v2.0/authorize || https://login.microsoftonline.com/common/oauth2/v2.0/authorize',
  token_url: 'https://login.microsoftonline.com/${connectionConfig.tenant}/oauth2/v2.0/token || https://login.microsoftonline.com/common/oauth2/v2.0/token',
  default_scopes: ['offline_access', 'https://graph.microsoft.com/.default'],
  connection_config: {
    tenant: {
      type: 'string',
      title: 'Tenant',
      description: 'Directory (tenant) ID or domain; leave empty for "common"',
      example: 'contoso.onmicrosoft.com',
      optional: true,
    },
  },
  proxy: { base_url: 'https://graph.microsoft.com' },
} satisfies Partial<ProviderInput>;

export const microsoftProviders = {
  microsoft: {
    ...microsoft,
    display_name: 'Microsoft',
    categories: ['productivity'],
    docs: 'https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-auth-code-flow',
  },
  outlook: {
    ...microsoft,
    display_name: 'Outlook',
    categories: ['communication', 'scheduling'],
    docs: 'https://learn.microsoft.com/en-us/graph/outlook-mail-concept-overview',
  },
  'microsoft-teams': {
    ...microsoft,
    display_name: 'Microsoft Teams',
    categories: ['communication'],
    docs: 'https://learn.microsoft.com/en-us/graph/teams-concept-overview',
  },
  'sharepoint-online': {
    ...microsoft,
    display_name: 'SharePoint Online',
    categories: ['storage', 'knowledge-base'],
    docs: 'https://learn.microsoft.com/en-us/graph/api/resources/sharepoint',
  },
} satisfies Record<string, ProviderInput>;
