/**
 * Parsing of provider templates: `${connectionConfig.x}`, `${credentials.x}`, `${apiKey}`,
 * `${accessToken}`, `${username}`, `${password}`, and `a || b` alternatives (the first whose
 * placeholders all have values wins). Shared by the schema (well-formedness) and interpolation.
 */

export const SCALAR_PLACEHOLDERS = ['apiKey', 'accessToken', 'username', 'password'] as const;
export type ScalarPlaceholder = (typeof SCALAR_PLACEHOLDERS)[number];

export type Placeholder =
  | { root: 'connectionConfig' | 'credentials'; key: string; name: string }
  | { root: ScalarPlaceholder; name: string };

/**
 * Where a placeholder sits in a URL template; decides how its value is checked or encoded.
 * origin: the template starts with it (`${connectionConfig.instance_url}/x`): value is `https://host[:port]`.
 * host: it is the whole host (`https://${connectionConfig.hostname}/x`): value is a DNS name.
 * label: it is part of the host (`https://${connectionConfig.subdomain}.zendesk.com`): one DNS label.
 * path / query / fragment: percent-encoded.
 */
export type UrlZone = 'origin' | 'host' | 'label' | 'path' | 'query' | 'fragment';

export type Token = { kind: 'literal'; text: string } | { kind: 'placeholder'; placeholder: Placeholder; zone?: UrlZone };

export class InvalidTemplateError extends Error {
  readonly code = 'invalid_template';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidTemplateError';
  }
}

// Keys may be dotted paths (token_response_metadata such as `team.id` is stored under that key).
const KEY = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)*';
const PLACEHOLDER = new RegExp(`^\\$\\{(?:(connectionConfig|credentials)\\.(${KEY})|(${SCALAR_PLACEHOLDERS.join('|')}))\\}`);

/** Splits `a || b` into trimmed alternatives. */
export function splitAlternatives(template: string): string[] {
  return template.split('||').map((alternative) => alternative.trim());
}

/** Tokenizes one alternative; throws InvalidTemplateError on a malformed `${...}`. */
export function tokenize(alternative: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  let i = 0;
  while (i < alternative.length) {
    if (alternative.startsWith('${', i)) {
      const match = PLACEHOLDER.exec(alternative.slice(i));
      if (!match) throw new InvalidTemplateError(`malformed placeholder at position ${i}: use \${connectionConfig.key}, \${credentials.key}, or \${${SCALAR_PLACEHOLDERS.join('}, ${')}}`);
      if (literal) tokens.push({ kind: 'literal', text: literal });
      literal = '';
      const placeholder: Placeholder = match[3]
        ? { root: match[3] as ScalarPlaceholder, name: match[3] }
        : { root: match[1] as 'connectionConfig' | 'credentials', key: match[2], name: `${match[1]}.${match[2]}` };
      tokens.push({ kind: 'placeholder', placeholder });
      i += match[0].length;
    } else {
      literal += alternative[i];
      i += 1;
    }
  }
  if (literal) tokens.push({ kind: 'literal', text: literal });
  return tokens;
}

const SCHEME = /^https?:\/\//i;

/**
 * Tokenizes a URL alternative and assigns each placeholder its zone. The structure (scheme, host
 * boundaries) comes from the template's literal text only, never from a value.
 */
export function tokenizeUrl(alternative: string): Token[] {
  const tokens = tokenize(alternative);
  let zone: 'authority' | 'path' | 'query' | 'fragment';
  let start = 0;
  const first = tokens[0];
  if (first?.kind === 'placeholder') {
    const next = tokens[1];
    if (next && !(next.kind === 'literal' && /^[/?#]/.test(next.text))) {
      throw new InvalidTemplateError('a placeholder at the start of a URL must be a whole origin, followed by /, ? or #');
    }
    first.zone = 'origin';
    zone = 'path';
    start = 1;
  } else if (first?.kind === 'literal' && SCHEME.test(first.text)) {
    zone = 'authority';
  } else {
    throw new InvalidTemplateError('a URL must start with https:// (or a whole-origin placeholder)');
  }
  let authorityStart = true; // nothing of the host written yet
  for (let t = start; t < tokens.length; t += 1) {
    const token = tokens[t];
    if (token.kind === 'literal') {
      let text = token.text;
      if (t === 0) text = text.replace(SCHEME, '');
      for (const ch of text) {
        if (zone === 'authority' && ch === '/') zone = 'path';
        else if ((zone === 'authority' || zone === 'path') && ch === '?') zone = 'query';
        else if (zone !== 'fragment' && ch === '#') zone = 'fragment';
        if (zone === 'authority') authorityStart = false;
      }
      continue;
    }
    if (zone !== 'authority') {
      token.zone = zone;
      continue;
    }
    const next = tokens[t + 1];
    const endsHost = !next || (next.kind === 'literal' && /^[/?#:]/.test(next.text));
    token.zone = authorityStart && endsHost ? 'host' : 'label';
    authorityStart = false;
  }
  return tokens;
}

export function placeholdersOf(template: string): Placeholder[] {
  return splitAlternatives(template).flatMap((alternative) =>
    tokenize(alternative).flatMap((token) => (token.kind === 'placeholder' ? [token.placeholder] : [])),
  );
}

/** Dummy values that keep a URL template parseable, for validating its literal structure. */
const DUMMY: Record<UrlZone, string> = {
  origin: 'https://origin.invalid',
  host: 'host.invalid',
  label: '1',
  path: 'x',
  query: 'x',
  fragment: 'x',
};

export interface UrlTemplateAlternative {
  /** The alternative with dummy values, parsed. */
  url: URL;
  /** True when the scheme and host come from a value (an origin placeholder). */
  dynamicOrigin: boolean;
  /** True when a placeholder is part of the host. */
  dynamicHost: boolean;
}

/** Parses each alternative of a URL template with dummy values; throws InvalidTemplateError. */
export function analyzeUrlTemplate(template: string): UrlTemplateAlternative[] {
  return splitAlternatives(template).map((alternative) => {
    if (!alternative) throw new InvalidTemplateError('empty alternative around ||');
    const tokens = tokenizeUrl(alternative);
    const text = tokens.map((token) => (token.kind === 'literal' ? token.text : DUMMY[token.zone as UrlZone])).join('');
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new InvalidTemplateError('not a valid absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidTemplateError('URL scheme must be https');
    if (url.username || url.password) throw new InvalidTemplateError('URL must not contain credentials (user:password@)');
    const zones = tokens.flatMap((token) => (token.kind === 'placeholder' ? [token.zone] : []));
    return { url, dynamicOrigin: zones.includes('origin'), dynamicHost: zones.includes('host') || zones.includes('label') };
  });
}
