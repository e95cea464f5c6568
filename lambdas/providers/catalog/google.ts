import type { ProviderInput } from '../provider-schema';

// Google OAuth 2.0 for web-server apps. `access_type=offline` returns a refresh token;
// `prompt=consent` makes Google return it again on every re-authorization.
const google = {
  auth_mode: 'OAUTH2',
  authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
  token_url: 'https://oauth2.googleapis.com/token',
  authorization_params: { access_type: 'offline', prompt: 'consent' },
} satisfies Partial<ProviderInput>;

export const googleProviders = {
  google: {
    ...google,
    display_name: 'Google',
    categories: ['productivity'],
    docs: 'https://developers.google.com/identity/protocols/oauth2/web-server',
    proxy: { base_url: 'https://www.googleapis.com' },
  },
  'google-calendar': {
    ...google,
    display_name: 'Google Calendar',
    categories: ['productivity', 'scheduling'],
    docs: 'https://developers.google.com/calendar/api',
    proxy: { base_url: 'https://www.googleapis.com' },
  },
  'google-mail': {
    ...google,
    display_name: 'Gmail',
    categories: ['communication'],
    docs: 'https://developers.google.com/gmail/api',
    proxy: { base_url: 'https://gmail.googleapis.com' },
  },
  'google-drive': {
    ...google,
    display_name: 'Google Drive',
    categories: ['storage'],
    docs: 'https://developers.google.com/drive/api',
    proxy: { base_url: 'https://www.googleapis.com' },
  },
  'google-sheet': {
    ...google,
    display_name: 'Google Sheets',
    categories: ['productivity'],
    docs: 'https://developers.google.com/sheets/api',
    proxy: { base_url: 'https://sheets.googleapis.com' },
  },
  'google-docs': {
    ...google,
    display_name: 'Google Docs',
    categories: ['productivity', 'knowledge-base'],
    docs: 'https://developers.google.com/docs/api',
    proxy: { base_url: 'https://docs.googleapis.com' },
  },
} satisfies Record<string, ProviderInput>;
