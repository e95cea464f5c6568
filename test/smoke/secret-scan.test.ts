import { SecretScan } from '../support/secret-scan';

describe('SecretScan (the leak check every test stack runs)', () => {
  test('finds a registered secret in captured log lines and audit rows, and nothing else', () => {
    const scan = new SecretScan();
    scan.register('sk-live-0123456789abcdef');
    scan.captureStdout();
    process.stdout.write('{"message":"token sk-live-0123456789abcdef refreshed"}\n');
    process.stdout.write('{"message":"nothing to see"}\n');
    scan.stopCapture();
    const leaks = scan.findLeaks([
      { id: 'a', text: '{"detail":{"token":"sk-live-0123456789abcdef"}}' },
      { id: 'b', text: '{"detail":{}}' },
    ]);
    expect(leaks).toEqual(['log line 0: …cdef', 'audit event a: …cdef']);
  });

  test('refuses short strings that would match by accident', () => {
    expect(() => new SecretScan().register('abc')).toThrow(/12\+ characters/);
  });
});
