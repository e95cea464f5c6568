import type * as z from 'zod';
import type { SqlExecutor } from '../platform/db/data-api';
import { json, uuid } from '../platform/db/parameters';
import { CATALOG } from './catalog';
import { CustomProviderSchema, isValidProviderName, type Provider } from './provider-schema';
import { ProviderRegistryError } from './errors';

/**
 * Providers visible to one environment: the built-in catalog plus the environment's custom
 * providers (table `providers`).
 *
 * Naming rule: a custom provider may not take a catalog name, so nothing is shadowed and a catalog
 * name means the same provider in every environment. Lookups of catalog names never touch the
 * database. Should a later release add a catalog entry whose name an environment already uses for
 * a custom provider, the catalog entry wins and the custom row becomes unreachable until renamed.
 */

export interface ResolvedProvider {
  name: string;
  provider: Provider;
  custom: boolean;
  /** Custom providers only. */
  created_at?: Date;
  updated_at?: Date;
}

export interface PutCustomResult {
  provider: ResolvedProvider;
  created: boolean;
}

export interface ProviderRegistryOptions {
  catalog?: Readonly<Record<string, Readonly<Provider>>>;
  /** Custom providers per environment. */
  maxCustomProviders?: number;
  /** Serialized definition size in bytes. */
  maxDefinitionBytes?: number;
}

interface ProviderRow {
  name: string;
  definition: unknown;
  created_at: Date;
  updated_at: Date;
}

export class ProviderRegistry {
  private readonly catalog: Readonly<Record<string, Readonly<Provider>>>;
  private readonly maxCustomProviders: number;
  private readonly maxDefinitionBytes: number;

  constructor(options: ProviderRegistryOptions = {}) {
    this.catalog = options.catalog ?? CATALOG;
    this.maxCustomProviders = options.maxCustomProviders ?? 200;
    this.maxDefinitionBytes = options.maxDefinitionBytes ?? 64 * 1024;
  }

  isCatalogName(name: string): boolean {
    return Object.hasOwn(this.catalog, name);
  }

  /**
   * The provider of an integration whose custom definition (if any) was read along with it: a
   * catalog name wins and costs nothing; a stored definition is re-validated.
   */
  resolveStored(name: string, definition: unknown): Provider | undefined {
    if (this.isCatalogName(name)) return this.catalog[name];
    if (definition == null) return undefined;
    const parsed = CustomProviderSchema.safeParse(definition);
    return parsed.success ? parsed.data : undefined;
  }

  /** The provider named `name` for this environment, or null. */
  async get(db: SqlExecutor, environmentId: string, name: string): Promise<ResolvedProvider | null> {
    if (this.isCatalogName(name)) return { name, provider: this.catalog[name], custom: false };
    if (!isValidProviderName(name)) return null;
    const rows = await db.query<ProviderRow>(
      'SELECT name, definition, created_at, updated_at FROM providers WHERE environment_id = :environment_id AND name = :name',
      { environment_id: uuid(environmentId), name },
    );
    return rows[0] ? this.fromRow(rows[0]) : null;
  }

  /**
   * Catalog and custom providers, sorted by name; `search` keeps those whose name or display name
   * contains it (case-insensitive).
   */
  async list(db: SqlExecutor, environmentId: string, search?: string): Promise<ResolvedProvider[]> {
    const needle = search?.trim().toLowerCase() ?? '';
    const rows = await db.query<ProviderRow>(
      `SELECT name, definition, created_at, updated_at FROM providers
       WHERE environment_id = :environment_id
         AND (:needle = '' OR strpos(lower(name), :needle) > 0 OR strpos(lower(definition->>'display_name'), :needle) > 0)
       ORDER BY name`,
      { environment_id: uuid(environmentId), needle },
    );
    const matches = (name: string, provider: Provider) =>
      !needle || name.toLowerCase().includes(needle) || provider.display_name.toLowerCase().includes(needle);
    const catalog = Object.entries(this.catalog)
      .filter(([name, provider]) => matches(name, provider))
      .map(([name, provider]) => ({ name, provider, custom: false }));
    const custom = rows.filter((row) => !this.isCatalogName(row.name)).map((row) => this.fromRow(row));
    return [...catalog, ...custom].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The stored definition of custom provider `name` (row-locked until the caller's transaction
   * ends, so a replacement compares against what it replaces) and whether a live integration uses it.
   */
  async currentCustom(db: SqlExecutor, environmentId: string, name: string): Promise<{ definition: unknown; inUse: boolean }> {
    const [row] = await db.query<{ definition: unknown; in_use: boolean }>(
      `SELECT (SELECT definition FROM providers WHERE environment_id = :environment_id AND name = :name FOR UPDATE) AS definition,
              EXISTS (SELECT 1 FROM integrations WHERE environment_id = :environment_id AND provider = :name AND deleted_at IS NULL) AS in_use`,
      { environment_id: uuid(environmentId), name },
    );
    return { definition: row?.definition ?? undefined, inUse: row?.in_use ?? false };
  }

  /** Creates or replaces a custom provider, validated with CustomProviderSchema. */
  async putCustom(db: SqlExecutor, environmentId: string, name: string, definition: unknown): Promise<PutCustomResult> {
    this.assertCustomName(name);
    const parsed = CustomProviderSchema.safeParse(definition);
    if (!parsed.success) {
      throw new ProviderRegistryError('invalid_provider', `Invalid provider definition: ${summarize(parsed.error)}`, issuesOf(parsed.error));
    }
    const document = parsed.data;
    if (Buffer.byteLength(JSON.stringify(document)) > this.maxDefinitionBytes) {
      throw new ProviderRegistryError('provider_too_large', `A provider definition may be at most ${this.maxDefinitionBytes} bytes`);
    }
    // One statement: the cap counts the environment's other providers, so replacing one at the
    // cap still works; `xmax = 0` tells an insert from an update.
    const rows = await db.query<{ created: boolean; created_at: Date; updated_at: Date }>(
      `INSERT INTO providers (environment_id, name, definition)
       SELECT :environment_id, :name, :definition
       WHERE (SELECT count(*) FROM providers WHERE environment_id = :environment_id AND name <> :name) < :max
       ON CONFLICT (environment_id, name) DO UPDATE SET definition = EXCLUDED.definition, updated_at = now()
       RETURNING (xmax = 0) AS created, created_at, updated_at`,
      { environment_id: uuid(environmentId), name, definition: json(document), max: this.maxCustomProviders },
    );
    const row = rows[0];
    if (!row) throw new ProviderRegistryError('too_many_providers', `An environment may have at most ${this.maxCustomProviders} custom providers`);
    return { created: row.created, provider: { name, provider: document, custom: true, created_at: row.created_at, updated_at: row.updated_at } };
  }

  /**
   * Deletes a custom provider: true if deleted, false if there was none. Refused while a live
   * integration of the environment uses it (the integration would stop working).
   */
  async deleteCustom(db: SqlExecutor, environmentId: string, name: string): Promise<boolean> {
    if (this.isCatalogName(name)) throw new ProviderRegistryError('provider_name_reserved', `${name} is a built-in provider and cannot be deleted`);
    if (!isValidProviderName(name)) return false;
    const rows = await db.query<{ found: boolean; in_use: boolean; deleted: boolean }>(
      `WITH in_use AS (
         SELECT 1 FROM integrations WHERE environment_id = :environment_id AND provider = :name AND deleted_at IS NULL LIMIT 1
       ), deleted AS (
         DELETE FROM providers WHERE environment_id = :environment_id AND name = :name AND NOT EXISTS (SELECT 1 FROM in_use) RETURNING 1
       )
       SELECT EXISTS (SELECT 1 FROM providers WHERE environment_id = :environment_id AND name = :name) AS found,
              EXISTS (SELECT 1 FROM in_use) AS in_use,
              EXISTS (SELECT 1 FROM deleted) AS deleted`,
      { environment_id: uuid(environmentId), name },
    );
    const result = rows[0];
    if (result.deleted) return true;
    if (result.found && result.in_use) throw new ProviderRegistryError('provider_in_use', `Provider ${name} is used by an integration; delete the integration first`);
    return false;
  }

  private assertCustomName(name: string): void {
    if (!isValidProviderName(name)) {
      throw new ProviderRegistryError('invalid_provider_name', 'Provider names are 1-63 characters: lowercase letters, digits, _ and -, starting with a letter or digit');
    }
    if (this.isCatalogName(name)) throw new ProviderRegistryError('provider_name_reserved', `${name} is a built-in provider; choose another name`);
  }

  private fromRow(row: ProviderRow): ResolvedProvider {
    // Stored definitions were validated on write; re-parsing keeps the type honest if rules tighten.
    const parsed = CustomProviderSchema.safeParse(row.definition);
    if (!parsed.success) throw new Error(`Stored custom provider ${row.name} no longer validates: ${summarize(parsed.error)}`);
    return { name: row.name, provider: parsed.data, custom: true, created_at: row.created_at, updated_at: row.updated_at };
  }
}

function issuesOf(error: z.ZodError): { path: string[]; message: string; code: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message, code: issue.code }));
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}
