import type { ProviderInput } from '../provider-schema';

const apiKeyCredential = { apiKey: { type: 'string', title: 'API key', secret: true } } satisfies ProviderInput['credentials'];

export const aiProviders = {
  openai: {
    display_name: 'OpenAI',
    categories: ['ai'],
    docs: 'https://platform.openai.com/docs/api-reference/authentication',
    docs_connect: 'https://platform.openai.com/api-keys',
    auth_mode: 'API_KEY',
    credentials: apiKeyCredential,
    proxy: {
      base_url: 'https://api.openai.com',
      headers: { authorization: 'Bearer ${apiKey}' },
      verification: { method: 'GET', endpoints: ['/v1/models'] },
    },
  },
  // Anthropic takes the key in x-api-key and requires an API version header on every call.
  anthropic: {
    display_name: 'Anthropic',
    categories: ['ai'],
    docs: 'https://docs.anthropic.com/en/api/overview',
    docs_connect: 'https://console.anthropic.com/settings/keys',
    auth_mode: 'API_KEY',
    credentials: apiKeyCredential,
    proxy: {
      base_url: 'https://api.anthropic.com',
      headers: { 'x-api-key': '${apiKey}', 'anthropic-version': '2023-06-01' },
      verification: { method: 'GET', endpoints: ['/v1/models'] },
    },
  },
  mistral: {
    display_name: 'Mistral AI',
    categories: ['ai'],
    docs: 'https://docs.mistral.ai/api/',
    docs_connect: 'https://console.mistral.ai/api-keys',
    auth_mode: 'API_KEY',
    credentials: apiKeyCredential,
    proxy: {
      base_url: 'https://api.mistral.ai',
      headers: { authorization: 'Bearer ${apiKey}' },
      verification: { method: 'GET', endpoints: ['/v1/models'] },
    },
  },
} satisfies Record<string, ProviderInput>;
