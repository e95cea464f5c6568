import { isValidProviderName, ProviderSchema, type Provider } from '../provider-schema';
import { CATALOG_ENTRIES } from './entries';

/**
 * The built-in providers, validated once at load (a bad entry fails the cold start, and the
 * catalog tests, loudly) and deep-frozen so no caller can alter shared state.
 */
export const CATALOG: Readonly<Record<string, Readonly<Provider>>> = buildCatalog();

export function isCatalogProvider(name: string): boolean {
  return Object.hasOwn(CATALOG, name);
}

function buildCatalog(): Readonly<Record<string, Provider>> {
  const catalog: Record<string, Provider> = {};
  for (const [name, entry] of Object.entries(CATALOG_ENTRIES)) {
    if (!isValidProviderName(name)) throw new Error(`Catalog provider name ${name} is invalid`);
    const parsed = ProviderSchema.safeParse(entry);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`Catalog provider ${name} is invalid: ${issues}`);
    }
    catalog[name] = parsed.data;
  }
  return deepFreeze(catalog);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
