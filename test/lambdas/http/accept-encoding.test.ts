import { acceptsGzip } from '../../../lambdas/http/accept-encoding';

test.each([
  ['gzip, compress, deflate, br', true],
  ['gzip, deflate', true],
  ['GZIP', true],
  ['x-gzip', true],
  ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
  ['*', true],
  ['gzip ; q=0.001', true],
  [undefined, false],
  ['', false],
  ['identity', false],
  ['deflate, br', false],
  ['gzip;q=0', false],
  ['gzip; q=0.000, deflate', false],
  ['*;q=0', false],
  ['gzip;q=0, *', false],
  ['*, gzip;q=0', false],
  ['gzip;q=abc', false],
])('Accept-Encoding %p allows gzip: %p', (header, allowed) => {
  expect(acceptsGzip(header)).toBe(allowed);
});
