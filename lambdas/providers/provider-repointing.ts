import type { Provider } from './provider-schema';
import { splitAlternatives } from './template';

/**
 * What a replacement of a custom provider changes about where its requests go. The token, refresh
 * and proxy URLs receive the integration's client secret and the connections' tokens, so moving
 * them (or letting them reach private networks) is as sensitive as reading those credentials.
 */

type UrlFields = Pick<Provider, 'authorization_url' | 'request_url' | 'token_url' | 'refresh_url' | 'proxy'> & { allow_private_network?: boolean };

export interface UrlChange {
  field: string;
  old_hosts: string[];
  new_hosts: string[];
}

/** Hosts a URL template names, one per alternative; a placeholder host is shown as the placeholder. */
export function templateHosts(template: string | undefined): string[] {
  if (template === undefined) return [];
  return splitAlternatives(template).map((alternative) => {
    const origin = /^\$\{[^}]+\}/.exec(alternative);
    if (origin) return origin[0];
    return alternative.replace(/^https?:\/\//i, '').split(/[/?#]/)[0];
  });
}

function urlFields(p: UrlFields | undefined): Record<string, string | undefined> {
  const fields: Record<string, string | undefined> = {
    authorization_url: p?.authorization_url,
    request_url: p?.request_url,
    refresh_url: p?.refresh_url,
    'proxy.base_url': p?.proxy?.base_url,
    'proxy.verification.base_url_override': p?.proxy?.verification?.base_url_override,
  };
  if (typeof p?.token_url === 'string' || p?.token_url === undefined) fields.token_url = p?.token_url;
  else for (const [mode, url] of Object.entries(p.token_url)) fields[`token_url.${mode}`] = url;
  return fields;
}

/** Every URL field whose template changed, with the hosts before and after; plus a change of allow_private_network. */
export function urlChanges(before: UrlFields | undefined, after: UrlFields): UrlChange[] {
  const old = urlFields(before);
  const next = urlFields(after);
  const changes: UrlChange[] = [];
  for (const field of [...new Set([...Object.keys(old), ...Object.keys(next)])]) {
    if (old[field] !== next[field]) changes.push({ field, old_hosts: templateHosts(old[field]), new_hosts: templateHosts(next[field]) });
  }
  if (before && Boolean(before.allow_private_network) !== Boolean(after.allow_private_network)) {
    changes.push({ field: 'allow_private_network', old_hosts: [String(Boolean(before.allow_private_network))], new_hosts: [String(Boolean(after.allow_private_network))] });
  }
  return changes;
}
