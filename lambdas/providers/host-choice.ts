import { interpolateUrl, MissingInterpolationValueError, type InterpolationValues } from './interpolation';
import type { Provider } from './provider-schema';
import { splitAlternatives, tokenizeUrl, type Token } from './template';

/**
 * Who may choose the host that receives a secret. A provider URL may take its host from
 * connection config (`https://${connectionConfig.hostname}/oauth/token`); whoever fills that value
 * decides where the integration's client secret, a connection's tokens or the end user's browser
 * go. The rule: a host-choosing value set by the end user alone is refused unless the resulting
 * host is on the integration's `allowed_hosts`. Values from the backend (connect session defaults,
 * the connection's stored config, the provider's defaults) are trusted. One check for every
 * request that carries a secret: authorize redirect, code exchange, refresh, credential
 * verification and the proxy.
 */

/** What of a provider this module reads. */
export type HostChoiceProvider = Pick<Provider, 'authorization_url' | 'request_url' | 'token_url' | 'refresh_url' | 'proxy'> & { allow_private_network?: boolean };

export class HostChoiceError extends Error {
  readonly code = 'host_not_allowed';
  constructor(readonly key: string) {
    super(
      `connection config ${key} chooses the host that receives the integration's credentials: it must come from the backend ` +
        "(connect session integrations_config_defaults) or name a host on the integration's allowed_hosts",
    );
    this.name = 'HostChoiceError';
  }
}

/** The provider's URL templates whose requests carry a secret or send the end user with our client id. */
export function secretBearingTemplates(provider: HostChoiceProvider): string[] {
  const out: (string | undefined)[] = [provider.authorization_url, provider.request_url, provider.refresh_url, provider.proxy?.base_url, provider.proxy?.verification?.base_url_override];
  if (typeof provider.token_url === 'string') out.push(provider.token_url);
  else out.push(...Object.values(provider.token_url ?? {}));
  return out.filter((t): t is string => typeof t === 'string');
}

/**
 * The placeholders of one URL alternative that choose its host: a whole origin or host, or a
 * label that is not followed by a fixed domain of at least two labels (`${x}.zendesk.com` keeps
 * the host under zendesk.com; `${x}.com` or `${a}.${b}` does not).
 */
export function hostChoosingPlaceholders(tokens: readonly Token[]): string[] {
  const out: string[] = [];
  tokens.forEach((token, index) => {
    if (token.kind !== 'placeholder') return;
    const zone = token.zone;
    if (zone === 'origin' || zone === 'host') out.push(token.placeholder.name);
    else if (zone === 'label' && !fixedDomainAfter(tokens, index)) out.push(token.placeholder.name);
  });
  return out;
}

function fixedDomainAfter(tokens: readonly Token[], index: number): boolean {
  let tail = '';
  for (const token of tokens.slice(index + 1)) {
    if (token.kind === 'placeholder') {
      // Another value later in the host: the domain is not fixed.
      if (token.zone === 'label' || token.zone === 'host') return false;
      break;
    }
    const end = token.text.search(/[/?#:]/);
    tail += end === -1 ? token.text : token.text.slice(0, end);
    if (end !== -1) break;
  }
  // The rest of this label, then at least two whole labels.
  const dot = tail.indexOf('.');
  if (dot === -1) return false;
  const labels = tail.slice(dot + 1).split('.');
  return labels.length >= 2 && labels.every((label) => /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(label));
}

/** connectionConfig keys that can choose the host of any secret-bearing URL of the provider. */
export function hostChoosingKeys(provider: HostChoiceProvider): Set<string> {
  const keys = new Set<string>();
  for (const template of secretBearingTemplates(provider)) {
    for (const alternative of splitAlternatives(template)) {
      for (const name of hostChoosingPlaceholders(tokenizeUrl(alternative))) {
        if (name.startsWith('connectionConfig.')) keys.add(name.slice('connectionConfig.'.length));
      }
    }
  }
  return keys;
}

/**
 * Normalised allowlist entries: `git.acme.example` (that host) or `*.acme.example` (any host
 * under it, not the apex). Validated where they are stored (integration settings).
 */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  return allowedHosts.some((entry) => {
    const rule = entry.toLowerCase();
    return rule.startsWith('*.') ? name.endsWith(rule.slice(1)) && name.length > rule.length - 1 : name === rule;
  });
}

export interface HostChoiceInput {
  provider: HostChoiceProvider;
  /** Every value the URLs are built from (backend's and end user's). */
  connectionConfig: Readonly<Record<string, unknown>>;
  /** Keys of connectionConfig whose value the end user gave and nobody above them replaced. */
  endUserKeys: Iterable<string>;
  /** The integration's allowlist; empty means end users choose no host. */
  allowedHosts: readonly string[];
}

/**
 * Throws HostChoiceError when a URL the provider will call (or send the browser to) would take
 * its host from an end user's value that is not on the allowlist. Interpolation errors of the
 * chosen alternative (a malformed host) propagate as they would when the request is built.
 */
export function assertHostChoice(input: HostChoiceInput): void {
  const endUser = new Set(input.endUserKeys);
  if (endUser.size === 0) return;
  const values: InterpolationValues = { connectionConfig: input.connectionConfig };
  const options = { allowHttp: input.provider.allow_private_network === true };
  for (const template of secretBearingTemplates(input.provider)) {
    for (const alternative of splitAlternatives(template)) {
      let url: string;
      try {
        url = interpolateUrl(alternative, values, options);
      } catch (err) {
        // The alternative that lacks a value is skipped, as interpolation does.
        if (err instanceof MissingInterpolationValueError) continue;
        throw err;
      }
      const chosenBy = hostChoosingPlaceholders(tokenizeUrl(alternative))
        .filter((name) => name.startsWith('connectionConfig.'))
        .map((name) => name.slice('connectionConfig.'.length))
        .filter((key) => endUser.has(key));
      if (chosenBy.length > 0 && !hostAllowed(new URL(url).hostname, input.allowedHosts)) throw new HostChoiceError(chosenBy[0]);
      break;
    }
  }
}
