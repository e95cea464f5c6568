import type { RouteSpec } from '../../../lib/topology';
import { RouteTable } from '../../../local/api-gateway/route-table';

const route = (method: RouteSpec['method'], path: string): RouteSpec => ({ method, path, function: 'api' });

describe('RouteTable', () => {
  const table = new RouteTable([
    route('GET', '/health'),
    route('GET', '/connections/{connectionId}'),
    route('DELETE', '/connections/{connectionId}'),
    route('GET', '/connections/mine'),
    route('PATCH', '/users/me'),
    route('GET', '/users/{userId}'),
    route('ANY', '/proxy/{path+}'),
    route('ANY', '/{proxy+}'),
    route('GET', '/'),
  ]);
  const resolve = (method: string, path: string) => {
    const m = table.match(method, path);
    return m && { resource: m.resource, method: m.route.method, params: m.pathParameters };
  };

  test.each([
    ['GET', '/health', '/health', 'GET', null],
    ['GET', '/', '/', 'GET', null],
    ['GET', '/connections/mine', '/connections/mine', 'GET', null], // literal beats {param}
    ['GET', '/connections/c1', '/connections/{connectionId}', 'GET', { connectionId: 'c1' }],
    ['DELETE', '/connections/mine', '/connections/{connectionId}', 'DELETE', { connectionId: 'mine' }], // literal lacks DELETE
    ['GET', '/users/me', '/users/{userId}', 'GET', { userId: 'me' }], // measured at AWS: literal yields to the param sibling
    ['PATCH', '/users/me', '/users/me', 'PATCH', null],
    ['POST', '/health', '/{proxy+}', 'ANY', { proxy: 'health' }], // method-specific resource lacks POST: greedy takes it
    ['GET', '/connections', '/{proxy+}', 'ANY', { proxy: 'connections' }], // method-less parent resource
    ['GET', '/connections/c1/extra', '/{proxy+}', 'ANY', { proxy: 'connections/c1/extra' }], // dead end deeper
    ['GET', '/proxy/a/b', '/proxy/{path+}', 'ANY', { path: 'a/b' }], // the deeper greedy beats the root one
    ['GET', '/proxy', '/{proxy+}', 'ANY', { proxy: 'proxy' }], // greedy needs one segment
    ['GET', '/health/', '/health', 'GET', null], // one trailing slash is ignored
    ['GET', '/connections/a%20b%2Fc', '/connections/{connectionId}', 'GET', { connectionId: 'a b/c' }],
    ['GET', '/x/%E2%9C%93/y%2Bz', '/{proxy+}', 'ANY', { proxy: 'x/✓/y+z' }],
    ['GET', '/connections/%zz', '/connections/{connectionId}', 'GET', { connectionId: '%zz' }], // bad escapes pass through
  ])('%s %s → %s', (method, path, resource, routeMethod, params) => {
    expect(resolve(method, path)).toEqual({ resource, method: routeMethod, params });
  });

  test('the root is not taken by a greedy {proxy+}', () => {
    const noRoot = new RouteTable([route('ANY', '/{proxy+}')]);
    expect(noRoot.match('GET', '/')).toBeNull();
    expect(noRoot.match('GET', '/a')).not.toBeNull();
  });

  test('no resource declaring the method: null (the server answers 403)', () => {
    const strict = new RouteTable([route('GET', '/health'), route('GET', '/connections/{id}')]);
    expect(strict.match('POST', '/health')).toBeNull();
    expect(strict.match('GET', '/connections')).toBeNull(); // a parent with no methods
    expect(strict.match('GET', '/nowhere')).toBeNull();
    expect(strict.match('GET', '/connections/a/b')).toBeNull();
    expect(strict.match('GET', 'health')).toBeNull();
  });

  test('method-specific beats ANY on the same resource; methods compare without case', () => {
    const t = new RouteTable([
      { method: 'ANY', path: '/x', function: 'api' },
      { method: 'GET', path: '/x', function: 'sweeps' },
    ]);
    expect(t.match('get', '/x')?.route.function).toBe('sweeps');
    expect(t.match('POST', '/x')?.route.function).toBe('api');
  });

  test.each([
    [[route('GET', 'health')], 'must start with /'],
    [[route('GET', '/health/')], 'must start with / and not end with /'],
    [[route('GET', '/a/{proxy+}/b')], 'must be the last segment'],
    [[route('GET', '/a/{id}'), route('GET', '/a/{other}')], 'already has the variable child /a/{id}'],
    [[route('GET', '/a/{id}'), route('GET', '/a/{proxy+}')], 'already has the variable child'],
    [[route('GET', '/a'), route('GET', '/a')], 'Duplicate route GET /a'],
    [[route('GET', '/a b')], 'invalid segment'],
    [[route('GET', '/a//b')], 'invalid segment'],
  ])('rejects %j', (routes, message) => {
    expect(() => new RouteTable(routes)).toThrow(message);
  });

  test('the stack topology loads', async () => {
    const { ROUTES } = await import('../../../lib/topology');
    const t = new RouteTable(ROUTES);
    expect(t.match('GET', '/health')?.resource).toBe('/health');
    expect(t.match('POST', '/connect/sessions')?.resource).toBe('/{proxy+}');
    // The Connect UI beside the API's /connect/session(s): openConnectUI adds a trailing slash.
    expect(t.match('GET', '/connect/')?.route.function).toBe('connect');
    expect(t.match('GET', '/connect/session')?.resource).toBe('/{proxy+}');
    expect(t.match('GET', '/connect/assets/app-X.js')?.resource).toBe('/connect/assets/{file}');
    expect(t.match('GET', '/images/template-logos/github.svg')?.route.function).toBe('connect');
  });
});
