import type { ProviderInput } from '../provider-schema';

const salesforceHostname = {
  type: 'string',
  title: 'Salesforce My Domain',
  description: 'Your My Domain login host; leave empty to use the default login host',
  pattern: '^[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.(salesforce|force)\\.com$',
  example: 'acme.my.salesforce.com',
  optional: true,
} as const;

// Salesforce: the API host is per org and comes back as `instance_url` in the token response.
const salesforce = {
  auth_mode: 'OAUTH2',
  default_scopes: ['api', 'offline_access'],
  token_response_metadata: ['instance_url'],
  connection_config: { hostname: salesforceHostname },
  proxy: { base_url: '${connectionConfig.instance_url}' },
} satisfies Partial<ProviderInput>;

export const crmProviders = {
  salesforce: {
    ...salesforce,
    display_name: 'Salesforce',
    categories: ['crm'],
    docs: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
    authorization_url: 'https://${connectionConfig.hostname}/services/oauth2/authorize || https://login.salesforce.com/services/oauth2/authorize',
    token_url: 'https://${connectionConfig.hostname}/services/oauth2/token || https://login.salesforce.com/services/oauth2/token',
  },
  'salesforce-sandbox': {
    ...salesforce,
    display_name: 'Salesforce (sandbox)',
    categories: ['crm'],
    docs: 'https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_web_server_flow.htm',
    authorization_url: 'https://${connectionConfig.hostname}/services/oauth2/authorize || https://test.salesforce.com/services/oauth2/authorize',
    token_url: 'https://${connectionConfig.hostname}/services/oauth2/token || https://test.salesforce.com/services/oauth2/token',
  },
  hubspot: {
    display_name: 'HubSpot',
    categories: ['crm', 'marketing'],
    docs: 'https://developers.hubspot.com/docs/api/oauth-quickstart-guide',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://app.hubspot.com/oauth/authorize',
    token_url: 'https://api.hubapi.com/oauth/v1/token',
    proxy: { base_url: 'https://api.hubapi.com' },
  },
  // Pipedrive requires HTTP Basic client authentication and returns the company's API host.
  pipedrive: {
    display_name: 'Pipedrive',
    categories: ['crm'],
    docs: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://oauth.pipedrive.com/oauth/authorize',
    token_url: 'https://oauth.pipedrive.com/oauth/token',
    authorization_method: 'header',
    token_request_auth_method: 'basic',
    token_response_metadata: ['api_domain'],
    proxy: { base_url: '${connectionConfig.api_domain} || https://api.pipedrive.com' },
  },
  attio: {
    display_name: 'Attio',
    docs: 'https://docs.attio.com/',
    categories: ['crm'],
    auth_mode: 'OAUTH2',
    authorization_url: 'https://app.attio.com/authorize',
    token_url: 'https://app.attio.com/oauth/token',
    proxy: { base_url: 'https://api.attio.com' },
  },
  // Intercom hosts EU and AU workspaces on regional API hosts.
  intercom: {
    display_name: 'Intercom',
    categories: ['support', 'communication'],
    docs: 'https://developers.intercom.com/docs/build-an-integration/learn-more/authentication/setting-up-oauth',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://app.intercom.com/oauth',
    token_url: 'https://api.intercom.io/auth/eagle/token',
    connection_config: {
      region: {
        type: 'string',
        title: 'Data region',
        description: 'Only for workspaces hosted in the EU or Australia',
        enum: ['eu', 'au'],
        optional: true,
      },
    },
    proxy: { base_url: 'https://api.${connectionConfig.region}.intercom.io || https://api.intercom.io' },
  },
  zendesk: {
    display_name: 'Zendesk',
    categories: ['support', 'ticketing'],
    docs: 'https://developer.zendesk.com/documentation/ticketing/working-with-oauth/creating-and-using-oauth-tokens-with-the-api/',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/authorizations/new',
    token_url: 'https://${connectionConfig.subdomain}.zendesk.com/oauth/tokens',
    default_scopes: ['read'],
    connection_config: {
      subdomain: {
        type: 'string',
        title: 'Zendesk subdomain',
        description: 'The name before .zendesk.com in your Zendesk URL',
        pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]*$',
        example: 'acme',
        suffix: '.zendesk.com',
      },
    },
    proxy: { base_url: 'https://${connectionConfig.subdomain}.zendesk.com' },
  },
  gong: {
    display_name: 'Gong',
    docs: 'https://help.gong.io/docs/receive-access-to-the-api',
    docs_connect: 'https://help.gong.io/docs/receive-access-to-the-api',
    categories: ['crm', 'sales'],
    auth_mode: 'BASIC',
    credentials: {
      username: { type: 'string', title: 'Access key' },
      password: { type: 'string', title: 'Access key secret', secret: true },
    },
    proxy: { base_url: 'https://api.gong.io', verification: { method: 'GET', endpoints: ['/v2/users'] } },
  },
  // Gong's OAuth token response names the customer's own API host.
  'gong-oauth': {
    display_name: 'Gong (OAuth)',
    docs: 'https://help.gong.io/docs/create-an-app-for-gong',
    categories: ['crm', 'sales'],
    auth_mode: 'OAUTH2',
    authorization_url: 'https://app.gong.io/oauth2/authorize',
    token_url: 'https://app.gong.io/oauth2/generate-customer-token',
    authorization_method: 'header',
    token_response_metadata: ['api_base_url_for_customer'],
    proxy: { base_url: '${connectionConfig.api_base_url_for_customer}' },
  },
} satisfies Record<string, ProviderInput>;
