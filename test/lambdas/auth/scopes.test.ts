import fc from 'fast-check';
import { hasScope } from '../../../lambdas/auth/scopes';

const FULL_ACCESS = 'environment:*';
import { startTestStack, type TestStack } from '../../support/local-stack';

/** Scopes and their wildcards: `environment:*` and the intermediate ones like `environment:connections:*`. */

const CONNECTIONS = 'environment:connections:*';

describe('hasScope', () => {
  test('an intermediate wildcard covers every scope below it', () => {
    for (const scope of ['environment:connections:read', 'environment:connections:read_credentials', 'environment:connections:delete', 'environment:connections:a:b']) {
      expect(hasScope([CONNECTIONS], scope)).toBe(true);
    }
  });

  test('an intermediate wildcard covers neither its siblings, nor its parent, nor names that merely start alike', () => {
    for (const scope of ['environment:integrations:read', 'environment:connections', 'environment:connections_extra:read', 'environment:connectionsx', 'environment:*', 'environment:api_keys:write']) {
      expect(hasScope([CONNECTIONS], scope)).toBe(false);
    }
  });

  test('without a wildcard only the exact scope counts', () => {
    expect(hasScope(['environment:connections:read'], 'environment:connections:read')).toBe(true);
    expect(hasScope(['environment:connections'], 'environment:connections:read')).toBe(false);
    expect(hasScope(['environment:connections:read'], 'environment:connections:read_credentials')).toBe(false);
    expect(hasScope([], 'environment:connections:read')).toBe(false);
  });

  test('any granted scope that covers is enough; environment:* covers everything of the environment', () => {
    expect(hasScope(['environment:integrations:read', CONNECTIONS], 'environment:connections:update')).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z_]{1,12}$/), { minLength: 1, maxLength: 3 }), (parts) => {
        const scope = `environment:${parts.join(':')}`;
        expect(hasScope([FULL_ACCESS], scope)).toBe(true);
        // A wildcard covers exactly what extends its prefix.
        expect(hasScope([CONNECTIONS], scope)).toBe(scope.startsWith('environment:connections:'));
      }),
      { numRuns: 200 },
    );
  });
});

describe('an environment:connections:* key over HTTP', () => {
  let t: TestStack;
  let key: string;
  beforeAll(async () => {
    t = await startTestStack();
    const res = await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'connections-only', scopes: [CONNECTIONS] } });
    expect(res.status).toBe(201);
    key = ((await res.json()) as { data: { secret: string } }).data.secret;
    t.secrets.register(key);
  });
  afterAll(async () => t?.stop());

  test('reaches every connections route and nothing else', async () => {
    expect((await t.api('/connections', { key })).status).toBe(200);
    // Past the scope check: refused for what they ask (an unknown integration), not for the key.
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      const res = await t.api('/connections/nope?provider_config_key=nope', { key, method, ...(method === 'PATCH' ? { json: { tags: {} } } : {}) });
      expect([method, res.status]).not.toEqual([method, 403]);
      expect(res.status).toBeLessThan(500);
    }
    for (const path of ['/environment', '/integrations', '/audit-events', '/environment/api-keys']) {
      const res = await t.api(path, { key });
      expect([path, res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([path, 403, 'forbidden']);
    }
  });

  test('may hand out a narrower connections scope, never a sibling or a wider one', async () => {
    const grant = (scopes: string[], name: string) => t.api('/environment/api-keys', { method: 'POST', key, json: { display_name: name, scopes } });
    // Creating keys needs environment:api_keys:write, which this key lacks, whatever it asks for.
    expect((await grant(['environment:connections:read'], 'narrower')).status).toBe(403);
    const wide = await t.api('/environment/api-keys', { method: 'POST', json: { display_name: 'keys-and-connections', scopes: ['environment:api_keys:write', CONNECTIONS] } });
    const wideKey = ((await wide.json()) as { data: { secret: string } }).data.secret;
    t.secrets.register(wideKey);
    const asWide = (scopes: string[], name: string) => t.api('/environment/api-keys', { method: 'POST', key: wideKey, json: { display_name: name, scopes } });
    const narrower = await asWide(['environment:connections:read'], 'narrower-ok');
    expect(narrower.status).toBe(201);
    t.secrets.register(((await narrower.json()) as { data: { secret: string } }).data.secret);
    expect((await asWide(['environment:integrations:read'], 'sibling')).status).toBe(403);
    expect((await asWide(['environment:*'], 'wider')).status).toBe(403);
  });
});
