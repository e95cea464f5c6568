import { splitAlternatives, tokenize, tokenizeUrl, type Placeholder, type Token, type UrlZone } from './template';

export { InvalidTemplateError } from './template';

/** What templates can refer to. connectionConfig/credentials values may be strings, numbers or booleans. */
export interface InterpolationValues {
  connectionConfig?: Readonly<Record<string, unknown>>;
  credentials?: Readonly<Record<string, unknown>>;
  apiKey?: string;
  accessToken?: string;
  username?: string;
  password?: string;
}

/** Base of interpolation failures. Messages name keys only, never values (they may be secrets). */
export class InterpolationError extends Error {
  constructor(
    readonly code: 'missing_value' | 'unsafe_value',
    message: string,
  ) {
    super(message);
    this.name = 'InterpolationError';
  }
}

export class MissingInterpolationValueError extends InterpolationError {
  constructor(readonly keys: string[]) {
    super('missing_value', `Missing value for ${keys.join(', ')}`);
    this.name = 'MissingInterpolationValueError';
  }
}

export class UnsafeInterpolationValueError extends InterpolationError {
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super('unsafe_value', `Value for ${key} ${reason}`);
    this.name = 'UnsafeInterpolationValueError';
  }
}

/**
 * Interpolates a text template (a header value, a query or body parameter). Values with control
 * characters are rejected: they could split a header (CR/LF injection).
 */
export function interpolate(template: string, values: InterpolationValues): string {
  return render(template, values, tokenize, (placeholder, value) => {
    if (/[\x00-\x1f\x7f]/.test(value)) throw new UnsafeInterpolationValueError(placeholder.name, 'contains control characters');
    return value;
  });
}

export interface UrlInterpolationOptions {
  /** Accept an http:// origin from a value (only for providers with allow_private_network). */
  allowHttp?: boolean;
}

/**
 * Interpolates a URL template. The URL's structure comes from the template alone: a value can
 * fill a host label, a whole host or origin, or be percent-encoded into the path, query or fragment,
 * but can never move the request to another host (no `/`, `@`, `?`, `#` or `.` smuggled into a
 * hostname label), which is what makes subdomain templates safe against SSRF.
 */
export function interpolateUrl(template: string, values: InterpolationValues, options: UrlInterpolationOptions = {}): string {
  const result = render(template, values, tokenizeUrl, (placeholder, value, zone) => encodeForZone(placeholder.name, value, zone, options));
  // Belt and braces: whatever we produced must still be an absolute http(s) URL without credentials.
  let url: URL;
  try {
    url = new URL(result);
  } catch {
    throw new UnsafeInterpolationValueError(firstPlaceholderName(template), 'does not produce a valid URL');
  }
  if (url.username || url.password || !['https:', 'http:'].includes(url.protocol)) {
    throw new UnsafeInterpolationValueError(firstPlaceholderName(template), 'does not produce a valid URL');
  }
  return result;
}

type Encode = (placeholder: Placeholder, value: string, zone: UrlZone | undefined) => string;

function render(template: string, values: InterpolationValues, tokenizer: (alternative: string) => Token[], encode: Encode): string {
  const alternatives = splitAlternatives(template).map(tokenizer);
  let firstMissing: string[] | undefined;
  for (const tokens of alternatives) {
    const missing = tokens.flatMap((t) => (t.kind === 'placeholder' && lookup(values, t.placeholder) === undefined ? [t.placeholder.name] : []));
    if (missing.length > 0) {
      firstMissing ??= [...new Set(missing)];
      continue;
    }
    return tokens.map((t) => (t.kind === 'literal' ? t.text : encode(t.placeholder, lookup(values, t.placeholder) as string, t.zone))).join('');
  }
  throw new MissingInterpolationValueError(firstMissing ?? []);
}

/** The value as a string, or undefined when absent or empty (an empty subdomain is no subdomain). */
function lookup(values: InterpolationValues, placeholder: Placeholder): string | undefined {
  let value: unknown;
  if (placeholder.root === 'connectionConfig' || placeholder.root === 'credentials') {
    const source = values[placeholder.root];
    if (!source) return undefined;
    value = Object.hasOwn(source, placeholder.key) ? source[placeholder.key] : nested(source, placeholder.key);
  } else {
    value = values[placeholder.root];
  }
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new UnsafeInterpolationValueError(placeholder.name, 'is not a string, number or boolean');
}

function nested(source: Readonly<Record<string, unknown>>, path: string): unknown {
  let current: unknown = source;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * LDH labels, and the URL parser must keep the name as written: numeric forms such as `0`,
 * `2130706433` or `0x7f.1` would otherwise become IPv4 addresses (0.0.0.0, 127.0.0.1).
 */
export function isHostname(value: string): boolean {
  if (value.length > 253 || !value.split('.').every((label) => LABEL.test(label))) return false;
  try {
    return new URL(`https://${value}`).hostname === value.toLowerCase();
  } catch {
    return false;
  }
}

function encodeForZone(name: string, value: string, zone: UrlZone | undefined, options: UrlInterpolationOptions): string {
  switch (zone) {
    case 'label':
      if (!LABEL.test(value)) throw new UnsafeInterpolationValueError(name, 'must be a single hostname label (letters, digits and -)');
      return value;
    case 'host':
      if (!isHostname(value)) throw new UnsafeInterpolationValueError(name, 'must be a hostname');
      return value;
    case 'origin':
      return checkOrigin(name, value, options);
    case 'path':
      // `.` and `..` would be resolved as path segments; percent-encoding does not stop that.
      if (value === '.' || value === '..') throw new UnsafeInterpolationValueError(name, 'must not be a relative path segment');
      return encodeURIComponent(value);
    default:
      return encodeURIComponent(value);
  }
}

/** An origin value must be exactly `scheme://host[:port]` (optionally with a trailing `/`). */
function checkOrigin(name: string, value: string, options: UrlInterpolationOptions): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UnsafeInterpolationValueError(name, 'must be an https origin');
  }
  const allowed = url.protocol === 'https:' || (options.allowHttp === true && url.protocol === 'http:');
  const lower = value.toLowerCase();
  const canonical = lower === url.origin || lower === `${url.origin}/`;
  if (!allowed || !canonical || !isHostname(url.hostname)) throw new UnsafeInterpolationValueError(name, 'must be an https origin');
  return url.origin;
}

function firstPlaceholderName(template: string): string {
  for (const alternative of splitAlternatives(template)) {
    const token = tokenize(alternative).find((t) => t.kind === 'placeholder');
    if (token?.kind === 'placeholder') return token.placeholder.name;
  }
  return 'template';
}
