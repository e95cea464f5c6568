import type * as z from 'zod';
import type { SqlExecutor } from '../platform/db/data-api';
import { CATALOG } from './catalog';
import { CustomProviderSchema, isValidProviderName, type Provider } from './provider-schema';
import { deleteUnusedCustomProvider, findCustomProvider, listCustomProviders, lockCustomProvider, upsertCustomProvider, type ProviderRow } from './provider-store';
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


/**
 * The provider of an integration whose custom definition (if any) was read along with it, against
 * the built-in catalog: static data, so reading a connection needs no registry instance.
 */
export function resolveStoredProvider(name: string, definition: unknown): Provider | undefined {
  if (isCatalogProvider(name)) return CATALOG[name];
  if (definition == null) return undefined;
  const parsed = CustomProviderSchema.safeParse(definition);
  return parsed.success ? parsed.data : undefined;
}

export function isCatalogProvider(name: string): boolean {
  return Object.hasOwn(CATALOG, name);
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

  /** The provider named `name` for this environment, or null. */
  async get(db: SqlExecutor, environmentId: string, name: string): Promise<ResolvedProvider | null> {
    if (this.isCatalogName(name)) return { name, provider: this.catalog[name], custom: false };
    if (!isValidProviderName(name)) return null;
    const row = await findCustomProvider(db, environmentId, name);
    return row ? this.fromRow(row) : null;
  }

  /**
   * Catalog and custom providers sorted by name (byte order), up to `rows` after the name `after`,
   * in one statement, and whether more follow; `search` keeps those whose name or display name
   * contains it (case-insensitive).
   */
  async list(db: SqlExecutor, environmentId: string, search: string | undefined, after: string | undefined, rows: number): Promise<{ rows: ResolvedProvider[]; more: boolean }> {
    const needle = search?.trim().toLowerCase() ?? '';
    const stored = await listCustomProviders(db, environmentId, needle, after, rows);
    const matches = (name: string, provider: Provider) =>
      !needle || name.toLowerCase().includes(needle) || provider.display_name.toLowerCase().includes(needle);
    const catalog = Object.entries(this.catalog)
      .filter(([name, provider]) => (after === undefined || name > after) && matches(name, provider))
      .map(([name, provider]) => ({ name, provider, custom: false }));
    const custom = stored.rows.filter((row) => !this.isCatalogName(row.name)).map((row) => this.fromRow(row));
    // Custom rows past the statement's last one are unread: catalog entries beyond it wait for the next statement.
    const lastRead = stored.more ? stored.rows.at(-1)?.name : undefined;
    const merged = [...catalog, ...custom]
      .filter((p) => lastRead === undefined || p.name <= lastRead)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { rows: merged.slice(0, rows), more: stored.more || merged.length > rows };
  }

  /**
   * The stored definition of custom provider `name` (row-locked until the caller's transaction
   * ends, so a replacement compares against what it replaces) and whether a live integration uses it.
   */
  async currentCustom(db: SqlExecutor, environmentId: string, name: string): Promise<{ definition: unknown; inUse: boolean }> {
    return lockCustomProvider(db, environmentId, name);
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
    const row = await upsertCustomProvider(db, environmentId, name, document, this.maxCustomProviders);
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
    const result = await deleteUnusedCustomProvider(db, environmentId, name);
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
