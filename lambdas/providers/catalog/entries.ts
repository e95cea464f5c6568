import type { ProviderInput } from '../provider-schema';
import { aiProviders } from './ai';
import { atlassianProviders } from './atlassian';
import { communicationProviders } from './communication';
import { crmProviders } from './crm';
import { fileProviders } from './files';
import { financeProviders } from './finance';
import { githubProviders } from './github';
import { googleProviders } from './google';
import { microsoftProviders } from './microsoft';
import { productivityProviders } from './productivity';

const FAMILIES: Record<string, ProviderInput>[] = [
  aiProviders,
  atlassianProviders,
  communicationProviders,
  crmProviders,
  fileProviders,
  financeProviders,
  githubProviders,
  googleProviders,
  microsoftProviders,
  productivityProviders,
];

/** The catalog as written (before validation and defaults), for tests and tooling. */
export const CATALOG_ENTRIES: Readonly<Record<string, ProviderInput>> = mergeFamilies(FAMILIES);

function mergeFamilies(families: Record<string, ProviderInput>[]): Record<string, ProviderInput> {
  const merged: Record<string, ProviderInput> = {};
  for (const family of families) {
    for (const [name, entry] of Object.entries(family)) {
      // Spreading would let a later family silently replace an entry.
      if (Object.hasOwn(merged, name)) throw new Error(`Provider ${name} is defined twice in the catalog`);
      merged[name] = entry;
    }
  }
  return merged;
}
