import type { IntegrationSecrets } from './integration-schema';
import type { IntegrationRow } from './integration-store';
import { providerFacts } from './provider-facts';

/** `credentials` of `GET /integrations/:key?include=credentials`, by the provider's auth mode. */
export type ApiIntegrationCredentials =
  | { type: 'OAUTH1' | 'OAUTH2' | 'TBA'; client_id: string | null; client_secret: string | null; scopes: string | null; webhook_secret: string | null }
  | { type: 'APP'; app_id: string | null; private_key: string | null; app_link: string | null }
  | { type: 'CUSTOM'; client_id: string | null; client_secret: string | null; app_id: string | null; app_link: string | null; private_key: string | null };

/** Nango's `ApiPublicIntegration`. */
export interface ApiPublicIntegration {
  unique_key: string;
  provider: string;
  display_name: string;
  logo: string;
  forward_webhooks: boolean;
  created_at: string;
  updated_at: string;
  webhook_url?: string | null;
  credentials?: ApiIntegrationCredentials | null;
  /** Our extension, present when set: hosts end users may choose. */
  allowed_hosts?: string[];
}

export interface IncludeOptions {
  /** include=webhook. */
  webhook?: boolean;
  /** include=credentials (the caller has checked the scope and decrypted the secrets). */
  secrets?: IntegrationSecrets;
}

export function toApiIntegration(row: IntegrationRow, publicBaseUrl: string, include: IncludeOptions = {}): ApiPublicIntegration {
  const provider = providerFacts(row.provider, row);
  const out: ApiPublicIntegration = {
    unique_key: row.unique_key,
    provider: row.provider,
    display_name: row.display_name ?? provider?.display_name ?? row.provider,
    logo: `${publicBaseUrl}/images/template-logos/${encodeURIComponent(row.provider)}.svg`,
    forward_webhooks: row.forward_webhooks,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
  if (row.allowed_hosts?.length) out.allowed_hosts = row.allowed_hosts;
  // No provider of ours receives provider webhooks yet, so there is no URL to forward from.
  if (include.webhook) out.webhook_url = null;
  if (include.secrets) out.credentials = toApiCredentials(row, provider?.auth_mode, include.secrets);
  return out;
}

function toApiCredentials(row: IntegrationRow, authMode: string | undefined, secrets: IntegrationSecrets): ApiIntegrationCredentials | null {
  switch (authMode) {
    case 'OAUTH1':
    case 'OAUTH2':
    case 'TBA':
      return {
        type: authMode,
        client_id: row.client_id,
        client_secret: secrets.client_secret ?? null,
        scopes: row.scopes?.length ? row.scopes.join(',') : null,
        webhook_secret: secrets.webhook_secret ?? null,
      };
    case 'APP':
      return { type: 'APP', app_id: row.app_id, private_key: secrets.private_key ?? null, app_link: row.app_link };
    case 'CUSTOM':
      return {
        type: 'CUSTOM',
        client_id: row.client_id,
        client_secret: secrets.client_secret ?? null,
        app_id: row.app_id,
        app_link: row.app_link,
        private_key: secrets.private_key ?? null,
      };
    default:
      return null;
  }
}
