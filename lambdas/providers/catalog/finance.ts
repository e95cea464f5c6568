import type { ProviderInput } from '../provider-schema';

// Intuit: HTTP Basic client authentication; the company id arrives as `realmId` on the callback.
const quickbooks = {
  auth_mode: 'OAUTH2',
  authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
  token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
  authorization_method: 'header',
  default_scopes: ['com.intuit.quickbooks.accounting'],
  redirect_uri_metadata: ['realmId'],
} satisfies Partial<ProviderInput>;

// PayPal REST: an app token from client credentials, client authenticated with HTTP Basic.
const paypal = {
  auth_mode: 'OAUTH2_CC',
  token_params: { grant_type: 'client_credentials' },
  authorization_method: 'header',
  docs: 'https://developer.paypal.com/api/rest/authentication/',
} satisfies Partial<ProviderInput>;

export const financeProviders = {
  // Stripe Connect OAuth: the connected account id comes back as stripe_user_id.
  stripe: {
    display_name: 'Stripe',
    categories: ['payment'],
    docs: 'https://docs.stripe.com/connect/oauth-reference',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://connect.stripe.com/oauth/authorize',
    token_url: 'https://connect.stripe.com/oauth/token',
    default_scopes: ['read_write'],
    token_response_metadata: ['stripe_user_id'],
    proxy: { base_url: 'https://api.stripe.com' },
  },
  // Shopify: per-shop hosts, comma-separated scopes, no PKCE, and the Admin API takes the token
  // in its own header instead of Authorization.
  shopify: {
    display_name: 'Shopify',
    categories: ['e-commerce'],
    docs: 'https://shopify.dev/docs/apps/build/authentication-authorization',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://${connectionConfig.subdomain}.myshopify.com/admin/oauth/authorize',
    token_url: 'https://${connectionConfig.subdomain}.myshopify.com/admin/oauth/access_token',
    scope_separator: ',',
    disable_pkce: true,
    connection_config: {
      subdomain: {
        type: 'string',
        title: 'Shop name',
        description: 'The name before .myshopify.com',
        pattern: '^[a-zA-Z0-9][a-zA-Z0-9-]*$',
        example: 'acme-store',
        suffix: '.myshopify.com',
      },
    },
    proxy: {
      base_url: 'https://${connectionConfig.subdomain}.myshopify.com',
      headers: { 'x-shopify-access-token': '${accessToken}' },
    },
  },
  quickbooks: {
    ...quickbooks,
    display_name: 'QuickBooks',
    categories: ['accounting'],
    docs: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
    proxy: { base_url: 'https://quickbooks.api.intuit.com' },
  },
  'quickbooks-sandbox': {
    ...quickbooks,
    display_name: 'QuickBooks (sandbox)',
    categories: ['accounting'],
    docs: 'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0',
    proxy: { base_url: 'https://sandbox-quickbooks.api.intuit.com' },
  },
  xero: {
    display_name: 'Xero',
    categories: ['accounting'],
    docs: 'https://developer.xero.com/documentation/guides/oauth2/auth-flow',
    auth_mode: 'OAUTH2',
    authorization_url: 'https://login.xero.com/identity/connect/authorize',
    token_url: 'https://identity.xero.com/connect/token',
    authorization_method: 'header',
    default_scopes: ['offline_access'],
    proxy: { base_url: 'https://api.xero.com' },
  },
  paypal: {
    ...paypal,
    display_name: 'PayPal',
    categories: ['payment'],
    token_url: 'https://api-m.paypal.com/v1/oauth2/token',
    proxy: { base_url: 'https://api-m.paypal.com' },
  },
  'paypal-sandbox': {
    ...paypal,
    display_name: 'PayPal (sandbox)',
    categories: ['payment'],
    token_url: 'https://api-m.sandbox.paypal.com/v1/oauth2/token',
    proxy: { base_url: 'https://api-m.sandbox.paypal.com' },
  },
  // NetSuite token-based authentication (OAuth 1.0a signatures with a consumer and a token pair).
  'netsuite-tba': {
    display_name: 'NetSuite (token-based auth)',
    docs: 'https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/',
    categories: ['erp', 'accounting'],
    auth_mode: 'TBA',
    connection_config: {
      accountId: {
        type: 'string',
        title: 'Account ID',
        description: 'Lowercase, with _ replaced by - (sandbox 1234567_SB1 becomes 1234567-sb1)',
        pattern: '^[a-z0-9][a-z0-9-]*$',
        example: '1234567',
      },
    },
    credentials: {
      token_id: { type: 'string', title: 'Token ID' },
      token_secret: { type: 'string', title: 'Token secret', secret: true },
    },
    proxy: { base_url: 'https://${connectionConfig.accountId}.suitetalk.api.netsuite.com' },
  },
} satisfies Record<string, ProviderInput>;
