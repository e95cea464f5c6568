import { startTestStack, type TestStack } from '../../../../support/local-stack';
import { egressIps } from '../../../../../lambdas/functions/api/routes/egress-ips';

describe('egressIps', () => {
  test('reads the comma-separated list the stack sets, ignoring blanks', () => {
    expect(egressIps('203.0.113.10, 203.0.113.11,,203.0.113.12 ,203.0.113.13')).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13']);
    expect(egressIps('')).toEqual([]);
  });
});

describe('GET /meta/egress-ips through the whole path', () => {
  let t: TestStack;
  const saved = process.env.LATCHKEY_EGRESS_IPS;
  beforeAll(async () => (t = await startTestStack()));
  afterAll(async () => {
    if (saved === undefined) delete process.env.LATCHKEY_EGRESS_IPS;
    else process.env.LATCHKEY_EGRESS_IPS = saved;
    await t.stop();
  });

  test('is public and lists the NAT gateways’ addresses, without touching the database or KMS', async () => {
    process.env.LATCHKEY_EGRESS_IPS = '203.0.113.10,203.0.113.11,203.0.113.12,203.0.113.13';
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    const res = await fetch(`${t.baseUrl}/meta/egress-ips`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await res.json()).toEqual({ data: ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13'] });
    expect(t.stack.dataApi.control.stats().calls).toEqual({});
    expect(t.stack.kms.control.stats().calls).toEqual({});
  });

  test('is an empty list where no egress IPs are configured (npm start)', async () => {
    delete process.env.LATCHKEY_EGRESS_IPS;
    const res = await fetch(`${t.baseUrl}/meta/egress-ips`);
    expect(await res.json()).toEqual({ data: [] });
  });
});
