import type { Field, Provider } from './api';

/**
 * The form a provider needs, from its definition: the credentials its auth mode takes, and the
 * connection config (`params[...]`) fields the end user types, each with the provider's title,
 * description, example and validation.
 */

export type AuthKind = 'oauth' | 'api-key' | 'basic' | 'client-credentials' | 'unsupported';

export interface FormField {
  /** `credentials.apiKey` or `params.subdomain`. */
  id: string;
  group: 'credentials' | 'params';
  key: string;
  field: Field;
  /** A default label when the provider gives no title. */
  fallbackLabel?: 'apiKey' | 'username' | 'password' | 'clientId' | 'clientSecret';
  secret: boolean;
}

const OAUTH_MODES = ['OAUTH2', 'OAUTH1', 'APP', 'CUSTOM', 'MCP_OAUTH2', 'MCP_OAUTH2_GENERIC', 'INSTALL_PLUGIN'];

export function authKind(provider: Provider): AuthKind {
  if (OAUTH_MODES.includes(provider.auth_mode)) return 'oauth';
  if (provider.auth_mode === 'API_KEY') return 'api-key';
  if (provider.auth_mode === 'BASIC') return 'basic';
  if (provider.auth_mode === 'OAUTH2_CC') return 'client-credentials';
  return 'unsupported';
}

export function formFields(provider: Provider): FormField[] {
  const out: FormField[] = [];
  const kind = authKind(provider);
  const credentials = provider.credentials ?? {};
  if (kind === 'api-key') {
    out.push(credential('apiKey', credentials.apiKey, 'apiKey', true));
  } else if (kind === 'basic') {
    out.push(credential('username', credentials.username, 'username', false));
    out.push(credential('password', credentials.password, 'password', true));
  } else if (kind === 'client-credentials') {
    out.push(credential('client_id', credentials.client_id, 'clientId', false));
    out.push(credential('client_secret', credentials.client_secret, 'clientSecret', true));
  }
  for (const [key, field] of Object.entries(provider.connection_config ?? {})) {
    if (field.automated || field.hidden) continue;
    out.push({ id: `params.${key}`, group: 'params', key, field, secret: false });
  }
  return out;
}

function credential(key: string, field: Field | undefined, fallbackLabel: FormField['fallbackLabel'], secretByDefault: boolean): FormField {
  return { id: `credentials.${key}`, group: 'credentials', key, field: field ?? {}, fallbackLabel, secret: field?.secret ?? secretByDefault };
}

const FORMATS: Record<string, RegExp> = {
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/,
};

/** Why `value` is not acceptable for `field`, or null. The server validates again. */
export function problem(field: FormField, value: string): 'required' | 'invalid' | null {
  // Basic auth passwords may be empty (Nango's body schema); everything else the user types is required unless optional.
  const optional = field.field.optional === true || (field.group === 'credentials' && field.key === 'password');
  if (value === '') return optional ? null : 'required';
  const { format, pattern } = field.field;
  if (format === 'uri') {
    try {
      new URL(value);
    } catch {
      return 'invalid';
    }
  } else if (format && FORMATS[format] && !FORMATS[format].test(value)) {
    return 'invalid';
  }
  if (pattern) {
    try {
      if (!new RegExp(pattern).test(value)) return 'invalid';
    } catch {
      // A pattern this browser cannot compile is the server's to check.
    }
  }
  return null;
}
