import { setting } from '../../../lambdas/platform/config';

// Configuration goes through EnvSchema: defaults, current values, and a clear failure naming the
// variable (never quoting its value).

const NAMES = [
  'LATCHKEY_RATE_LIMIT_PER_MINUTE',
  'LATCHKEY_PUBLIC_URL',
  'LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP',
  'LATCHKEY_AUDIT_RETENTION_DAYS',
  'LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS',
  'LATCHKEY_EGRESS_IPS',
  'LATCHKEY_DB_CLUSTER_ARN',
  'LATCHKEY_DB_SECRET_ARN',
  'LATCHKEY_KMS_KEY_ID',
] as const;
const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));

afterEach(() => {
  for (const name of NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('setting()', () => {
  test('unset variables take their documented defaults', () => {
    for (const name of NAMES) delete process.env[name];
    expect(setting('LATCHKEY_RATE_LIMIT_PER_MINUTE')).toBe(3_000);
    expect(setting('LATCHKEY_PUBLIC_URL')).toBeUndefined();
    expect(setting('LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP')).toBe(false);
    expect(setting('LATCHKEY_AUDIT_RETENTION_DAYS')).toBe(365);
    expect(setting('LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS')).toBe(30);
    expect(setting('LATCHKEY_EGRESS_IPS')).toBe('');
  });

  test('values are read when asked for, so a change at run time is seen', () => {
    process.env.LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'true';
    expect(setting('LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP')).toBe(true);
    process.env.LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP = 'false';
    expect(setting('LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP')).toBe(false);
    process.env.LATCHKEY_RATE_LIMIT_PER_MINUTE = '120';
    expect(setting('LATCHKEY_RATE_LIMIT_PER_MINUTE')).toBe(120);
    process.env.LATCHKEY_PUBLIC_URL = 'https://vault.example.com';
    expect(setting('LATCHKEY_PUBLIC_URL')).toBe('https://vault.example.com');
  });

  test.each([
    ['LATCHKEY_RATE_LIMIT_PER_MINUTE', 'lots'],
    ['LATCHKEY_RATE_LIMIT_PER_MINUTE', '-1000'],
    ['LATCHKEY_AUDIT_RETENTION_DAYS', '1.5'],
    ['LATCHKEY_WEBHOOK_LOG_RETENTION_DAYS', '-3'],
    ['LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP', 'yes'],
    ['LATCHKEY_PUBLIC_URL', 'ftp://vault.example.com'],
    ['LATCHKEY_PUBLIC_URL', 'not a url'],
  ] as const)('%s=%s fails with the variable named, not its value', (name, value) => {
    process.env[name] = value;
    expect(() => setting(name)).toThrow(`Invalid configuration: ${name}: `);
    let message = '';
    try {
      setting(name);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).not.toContain(value);
  });
});

describe('env()', () => {
  test('checks every variable at once on first use and names each problem', () => {
    process.env.LATCHKEY_DB_CLUSTER_ARN = 'arn:aws:rds:us-east-1:000000000000:cluster:x';
    process.env.LATCHKEY_DB_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:x';
    delete process.env.LATCHKEY_KMS_KEY_ID;
    process.env.LATCHKEY_AUDIT_RETENTION_DAYS = 'forever';
    jest.isolateModules(() => {
      // A fresh module: env() caches its first successful parse.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { env } = require('../../../lambdas/platform/config') as typeof import('../../../lambdas/platform/config');
      expect(() => env()).toThrow(/^Invalid configuration: .*LATCHKEY_KMS_KEY_ID: .*; LATCHKEY_AUDIT_RETENTION_DAYS: /);
    });
  });
});
