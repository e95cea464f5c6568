import fc from 'fast-check';
import {
  interpolate,
  interpolateUrl,
  InterpolationError,
  InvalidTemplateError,
  MissingInterpolationValueError,
  UnsafeInterpolationValueError,
} from '../../../lambdas/providers/interpolation';
import { CATALOG } from '../../../lambdas/providers/catalog';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('interpolate (text)', () => {
  test('fills every placeholder kind', () => {
    const values = { apiKey: 'k', accessToken: 't', username: 'u', password: 'p', connectionConfig: { region: 'eu', n: 3, flag: true }, credentials: { token_id: 'id' } };
    expect(interpolate('Bearer ${apiKey}', values)).toBe('Bearer k');
    expect(interpolate('${accessToken}|${username}:${password}', { ...values })).toBe('t|u:p');
    expect(interpolate('${connectionConfig.region}-${connectionConfig.n}-${connectionConfig.flag}-${credentials.token_id}', values)).toBe('eu-3-true-id');
    expect(interpolate('no placeholders', {})).toBe('no placeholders');
  });

  test('dotted keys: flat key first, then a nested path', () => {
    expect(interpolate('${connectionConfig.team.id}', { connectionConfig: { 'team.id': 'T1' } })).toBe('T1');
    expect(interpolate('${connectionConfig.team.id}', { connectionConfig: { team: { id: 'T2' } } })).toBe('T2');
  });

  test('a missing value throws a typed error naming the key, not any value', () => {
    const err = thrown(() => interpolate('Bearer ${apiKey} ${connectionConfig.x}', { connectionConfig: { x: 'secret-value' } }));
    expect(err).toBeInstanceOf(MissingInterpolationValueError);
    expect(err).toBeInstanceOf(InterpolationError);
    expect(err).toMatchObject({ code: 'missing_value', keys: ['apiKey'], message: 'Missing value for apiKey' });
    expect(String((err as Error).message)).not.toContain('secret-value');
    // Empty strings and null count as missing.
    expect(() => interpolate('${connectionConfig.x}', { connectionConfig: { x: '' } })).toThrow(MissingInterpolationValueError);
    expect(() => interpolate('${connectionConfig.x}', { connectionConfig: { x: null } })).toThrow(MissingInterpolationValueError);
    // Inherited properties are not values.
    expect(() => interpolate('${connectionConfig.toString}', { connectionConfig: {} })).toThrow(MissingInterpolationValueError);
  });

  test('`a || b`: the first alternative whose values are all present', () => {
    const template = '${connectionConfig.a}-${connectionConfig.b} || ${connectionConfig.c} || fallback';
    expect(interpolate(template, { connectionConfig: { a: '1', b: '2', c: '3' } })).toBe('1-2');
    expect(interpolate(template, { connectionConfig: { a: '1', c: '3' } })).toBe('3');
    expect(interpolate(template, {})).toBe('fallback');
    expect(thrown(() => interpolate('${connectionConfig.a} || ${apiKey}', {}))).toMatchObject({ keys: ['connectionConfig.a'] });
  });

  test('rejects control characters (header injection) without echoing the value', () => {
    const err = thrown(() => interpolate('Bearer ${apiKey}', { apiKey: 'sk-secret\r\nX-Evil: 1' }));
    expect(err).toBeInstanceOf(UnsafeInterpolationValueError);
    expect(err).toMatchObject({ code: 'unsafe_value', key: 'apiKey' });
    expect((err as Error).message).not.toContain('sk-secret');
  });

  test('objects are not interpolated', () => {
    expect(() => interpolate('${connectionConfig.x}', { connectionConfig: { x: { a: 1 } } })).toThrow(UnsafeInterpolationValueError);
  });

  test('malformed templates throw InvalidTemplateError', () => {
    for (const template of ['${', '${apiKey', '${connectionConfig.}', '${connectionConfig.a b}', '${env.X}', '${apikey}']) {
      expect(() => interpolate(template, { apiKey: 'k' })).toThrow(InvalidTemplateError);
    }
  });
});

describe('interpolateUrl', () => {
  const zendesk = 'https://${connectionConfig.subdomain}.zendesk.com/api/v2';

  test('fills a subdomain label', () => {
    expect(interpolateUrl(zendesk, { connectionConfig: { subdomain: 'acme-1' } })).toBe('https://acme-1.zendesk.com/api/v2');
  });

  test.each([
    ['evil.com/'], ['evil.com#'], ['evil.com?'], ['evil.com@'], ['a@evil.com'], ['evil.com'], ['.evil.com'], ['a.b'], ['evil.com:443'],
    ['evil.com\\'], ['a b'], ['ev%2eil'], ['-a'], ['a-'], ['ａ'], ['x'.repeat(64)], ['evil.com/x?'],
  ])('rejects hostile subdomain %j', (subdomain) => {
    const err = thrown(() => interpolateUrl(zendesk, { connectionConfig: { subdomain } }));
    expect(err).toBeInstanceOf(UnsafeInterpolationValueError);
    expect(err).toMatchObject({ key: 'connectionConfig.subdomain' });
  });

  test('a whole-host placeholder takes a hostname, nothing more', () => {
    const template = 'https://${connectionConfig.hostname}/oauth/authorize || https://gitlab.com/oauth/authorize';
    expect(interpolateUrl(template, { connectionConfig: { hostname: 'git.example.com' } })).toBe('https://git.example.com/oauth/authorize');
    expect(interpolateUrl(template, {})).toBe('https://gitlab.com/oauth/authorize');
    for (const hostname of ['evil.com/x', 'evil.com@good.com', 'good.com#', 'a..b', 'evil.com:80', '[::1]', 'user@host', '0', '2130706433', '0x7f.1', '127.1']) {
      expect(() => interpolateUrl(template, { connectionConfig: { hostname } })).toThrow(UnsafeInterpolationValueError);
    }
  });

  test('an origin placeholder takes exactly an https origin', () => {
    const template = '${connectionConfig.instance_url}/services/data';
    expect(interpolateUrl(template, { connectionConfig: { instance_url: 'https://acme.my.salesforce.com' } })).toBe('https://acme.my.salesforce.com/services/data');
    expect(interpolateUrl(template, { connectionConfig: { instance_url: 'https://acme.my.salesforce.com/' } })).toBe('https://acme.my.salesforce.com/services/data');
    for (const instance_url of [
      'http://acme.my.salesforce.com', 'https://acme.my.salesforce.com/x', 'https://u:p@evil.com', 'https://evil.com?x=', 'https://evil.com#',
      'javascript:alert(1)', 'file:///etc/passwd', 'acme.my.salesforce.com', 'https://evil.com\\@good.com', 'https://[::1]',
    ]) {
      expect(() => interpolateUrl(template, { connectionConfig: { instance_url } })).toThrow(UnsafeInterpolationValueError);
    }
    expect(interpolateUrl(template, { connectionConfig: { instance_url: 'http://10.0.0.5:8080' } }, { allowHttp: true })).toBe('http://10.0.0.5:8080/services/data');
  });

  test('path, query and fragment values are percent-encoded', () => {
    const template = 'https://api.test/tenants/${connectionConfig.t}/x?q=${connectionConfig.q}#${connectionConfig.f}';
    expect(interpolateUrl(template, { connectionConfig: { t: 'a/b?c#d', q: 'x&y=z', f: ' ' } })).toBe('https://api.test/tenants/a%2Fb%3Fc%23d/x?q=x%26y%3Dz#%20');
    expect(() => interpolateUrl(template, { connectionConfig: { t: '..', q: 'x', f: 'y' } })).toThrow(UnsafeInterpolationValueError);
    expect(interpolateUrl(template, { connectionConfig: { t: '%2e%2e', q: 'x', f: 'y' } })).toBe('https://api.test/tenants/%252e%252e/x?q=x#y');
  });

  test('the Microsoft tenant goes in the path; common is the fallback', () => {
    const template = CATALOG.microsoft.token_url as string;
    expect(interpolateUrl(template, { connectionConfig: { tenant: 'contoso.onmicrosoft.com' } })).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(interpolateUrl(template, {})).toBe('https://login.microsoftonline.com/common/oauth2/v2.0/token');
  });

  test('catalog templates interpolate with plausible values', () => {
    const values = { connectionConfig: { subdomain: 'acme', region: 'eu', accountId: '1234567-sb1', dc: 'us21', instance_url: 'https://acme.my.salesforce.com' } };
    expect(interpolateUrl(CATALOG.shopify.proxy!.base_url, values)).toBe('https://acme.myshopify.com');
    expect(interpolateUrl(CATALOG.intercom.proxy!.base_url, values)).toBe('https://api.eu.intercom.io');
    expect(interpolateUrl(CATALOG.intercom.proxy!.base_url, {})).toBe('https://api.intercom.io');
    expect(interpolateUrl(CATALOG['netsuite-tba'].proxy!.base_url, values)).toBe('https://1234567-sb1.suitetalk.api.netsuite.com');
    expect(interpolateUrl(CATALOG.mailchimp.proxy!.base_url, values)).toBe('https://us21.api.mailchimp.com');
    expect(interpolateUrl(CATALOG.salesforce.proxy!.base_url, values)).toBe('https://acme.my.salesforce.com');
    expect(() => interpolateUrl(CATALOG.zendesk.authorization_url!, {})).toThrow(MissingInterpolationValueError);
  });
});

describe('interpolateUrl properties', () => {
  // Strings rich in URL delimiters, so the interesting cases come up often.
  const hostile = fc.oneof(
    fc.string({ unit: fc.constantFrom(...'a0-._~/\\?#@:%[]!$&\'()*+,;= \t\r\nЁ'.split('')), maxLength: 24 }),
    fc.string({ maxLength: 24 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.webUrl(),
  );

  test('a label value never changes the host beyond one label under the template domain', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (subdomain, path, query) => {
        let result: string;
        try {
          result = interpolateUrl('https://${connectionConfig.subdomain}.zendesk.com/api/${connectionConfig.path}?q=${connectionConfig.query}', {
            connectionConfig: { subdomain, path, query },
          });
        } catch (err) {
          expect(err).toBeInstanceOf(InterpolationError);
          return;
        }
        const url = new URL(result);
        expect(url.hostname).toMatch(/^[a-z0-9-]+\.zendesk\.com$/);
        expect(url.username + url.password).toBe('');
        expect(url.pathname.startsWith('/api/')).toBe(true);
        expect(url.searchParams.get('q')).toBe(query);
      }),
      { numRuns: 1000 },
    );
  });

  test('a whole-host or origin value always yields exactly that host', () => {
    fc.assert(
      fc.property(hostile, fc.constantFrom('https://${connectionConfig.h}/x', '${connectionConfig.h}/x'), (h, template) => {
        let result: string;
        try {
          result = interpolateUrl(template, { connectionConfig: { h } });
        } catch (err) {
          expect(err).toBeInstanceOf(InterpolationError);
          return;
        }
        const url = new URL(result);
        const expected = template.startsWith('https') ? h.toLowerCase() : new URL(h).hostname;
        expect(url.hostname).toBe(expected);
        expect(url.protocol).toBe('https:');
        expect(url.pathname).toBe('/x');
        expect(url.username + url.password + url.search + url.hash).toBe('');
      }),
      { numRuns: 1000 },
    );
  });
});
