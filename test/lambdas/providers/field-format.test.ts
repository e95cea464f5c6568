import fc from 'fast-check';
import { matchesFormat } from '../../../lambdas/providers/field-format';

describe('matchesFormat', () => {
  test.each([
    ['hostname', 'gitlab.acme.example', true],
    ['hostname', 'localhost', true],
    ['hostname', 'gitlab.acme.example/x', false],
    ['hostname', 'gitlab.acme.example:8443', false],
    ['hostname', 'u@gitlab.acme.example', false],
    ['hostname', 'https://gitlab.acme.example', false],
    ['hostname', '127.0.0.1', false],
    ['hostname', '2130706433', false],
    ['hostname', '0x7f.1', false],
    ['hostname', '[::1]', false],
    ['uri', 'https://api.acme.example/v1', true],
    ['uri', 'http://api.acme.example/v1', false],
    ['uri', 'https://user:pw@api.acme.example', false],
    ['uri', 'javascript:alert(1)', false],
    ['uri', 'api.acme.example', false],
    ['uuid', '7f1c2a4e-9b3d-4c8e-a1f2-3b4c5d6e7f80', true],
    ['uuid', 'not-a-uuid', false],
    ['ipv4', '10.0.0.1', true],
    ['ipv4', '10.0.0.256', false],
    ['ipv6', '2001:db8::1', true],
    ['email', 'ada@example.com', true],
    ['email', 'ada', false],
  ] as const)('%s %s → %s', (format, value, expected) => {
    expect(matchesFormat(format, value)).toBe(expected);
  });

  test('uri accepts http only for providers that may reach private networks', () => {
    expect(matchesFormat('uri', 'http://api.acme.example', true)).toBe(true);
  });

  test('property: a hostname never carries a character that could change the URL it is put into', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        if (matchesFormat('hostname', value)) expect(value).toMatch(/^[A-Za-z0-9.-]+$/);
      }),
      { numRuns: 500 },
    );
  });
});
