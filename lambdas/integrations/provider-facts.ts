import { CATALOG } from '../providers/catalog';

/** What integrations need of their provider: its name to show, auth mode and default scopes. */
export interface ProviderFacts {
  display_name: string;
  auth_mode: string;
  default_scopes?: readonly string[];
}

/**
 * SQL columns that bring an environment's custom provider along with an integration row (alias
 * `p` for `LEFT JOIN providers p ON p.environment_id = i.environment_id AND p.name = i.provider`),
 * so listing and reading integrations never needs a second statement for them.
 */
export const CUSTOM_PROVIDER_COLUMNS = `p.definition->>'display_name' AS custom_display_name,
  p.definition->>'auth_mode' AS custom_auth_mode,
  p.definition->'default_scopes' AS custom_default_scopes`;

export interface CustomProviderColumns {
  custom_display_name: string | null;
  custom_auth_mode: string | null;
  custom_default_scopes: string[] | null;
}

/**
 * The provider as the registry resolves it: a catalog name always means the catalog entry (custom
 * providers cannot take catalog names), anything else the environment's custom provider, if any.
 */
export function providerFacts(name: string, row?: CustomProviderColumns): ProviderFacts | undefined {
  if (Object.hasOwn(CATALOG, name)) {
    const entry = CATALOG[name];
    return { display_name: entry.display_name, auth_mode: entry.auth_mode, default_scopes: entry.default_scopes };
  }
  if (!row?.custom_auth_mode) return undefined;
  return { display_name: row.custom_display_name ?? name, auth_mode: row.custom_auth_mode, default_scopes: row.custom_default_scopes ?? undefined };
}
