import type { ProviderInput } from '../provider-schema';

export const communicationProviders = {
  // Slack: comma-separated scopes, no PKCE; when only user scopes are granted the token is under
  // authed_user instead of at the top level.
  slack: {
    display_name: 'Slack',
    categories: ['communication'],
    docs: 'https://api.slack.com/authentication/oauth-v2',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://slack.com/oauth/v2/authorize',
    token_url: 'https://slack.com/api/oauth.v2.access',
    scope_separator: ',',
    disable_pkce: true,
    alternate_access_token_response_path: 'authed_user.access_token',
    token_response_metadata: ['team.id', 'team.name', 'enterprise.id', 'bot_user_id', 'authed_user.id'],
    proxy: { base_url: 'https://slack.com/api' },
  },
  discord: {
    display_name: 'Discord',
    categories: ['communication'],
    docs: 'https://discord.com/developers/docs/topics/oauth2',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://discord.com/oauth2/authorize',
    token_url: 'https://discord.com/api/oauth2/token',
    proxy: { base_url: 'https://discord.com/api' },
  },
  // Zoom requires HTTP Basic client authentication at the token endpoint.
  zoom: {
    display_name: 'Zoom',
    categories: ['video', 'communication'],
    docs: 'https://developers.zoom.us/docs/integrations/oauth/',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://zoom.us/oauth/authorize',
    token_url: 'https://zoom.us/oauth/token',
    authorization_method: 'header',
    proxy: { base_url: 'https://api.zoom.us' },
  },
  // The API host depends on the account's data center (e.g. us21), found at
  // https://login.mailchimp.com/oauth2/metadata after connecting.
  mailchimp: {
    display_name: 'Mailchimp',
    categories: ['marketing'],
    docs: 'https://mailchimp.com/developer/marketing/guides/access-user-data-oauth-2/',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://login.mailchimp.com/oauth2/authorize',
    token_url: 'https://login.mailchimp.com/oauth2/token',
    connection_config: {
      dc: {
        type: 'string',
        title: 'Data center',
        description: 'The server prefix of your account (the dc of the metadata endpoint)',
        pattern: '^[a-z]+[0-9]+$',
        example: 'us21',
        optional: true,
      },
    },
    proxy: { base_url: 'https://${connectionConfig.dc}.api.mailchimp.com || https://login.mailchimp.com' },
  },
  sendgrid: {
    display_name: 'SendGrid',
    categories: ['marketing', 'communication'],
    docs: 'https://www.twilio.com/docs/sendgrid/api-reference/how-to-use-the-sendgrid-v3-api/authentication',
    docs_connect: 'https://app.sendgrid.com/settings/api_keys',
    auth_mode: 'API_KEY',
    credentials: { apiKey: { type: 'string', title: 'API key', example: 'SG.xxxxx', secret: true } },
    proxy: {
      base_url: 'https://api.sendgrid.com',
      headers: { authorization: 'Bearer ${apiKey}' },
      // Any valid key may read its own scopes, whatever its permissions.
      verification: { method: 'GET', endpoints: ['/v3/scopes'] },
    },
  },
  twilio: {
    display_name: 'Twilio',
    categories: ['communication'],
    docs: 'https://www.twilio.com/docs/usage/requests-to-twilio',
    docs_connect: 'https://console.twilio.com/',
    auth_mode: 'BASIC',
    credentials: {
      username: { type: 'string', title: 'Account SID', pattern: '^AC[0-9a-fA-F]{32}$', example: 'AC0123456789abcdef0123456789abcdef' },
      password: { type: 'string', title: 'Auth token', secret: true },
    },
    proxy: { base_url: 'https://api.twilio.com', verification: { method: 'GET', endpoints: ['/2010-04-01/Accounts.json'] } },
  },
} satisfies Record<string, ProviderInput>;
