import { parseSettings } from '../../lib/settings';

const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];
const minimal = { region: 'us-east-1', availabilityZones: AZS };

describe('settings', () => {
  test('defaults fill in everything optional', () => {
    expect(parseSettings(minimal)).toEqual({
      profile: 'production',
      natGateways: 4,
      dbReader: true,
      sweepsReservedConcurrency: 0,
      stage: 'prod',
      region: 'us-east-1',
      availabilityZones: AZS,
      vpcCidr: '10.0.0.0/16',
      vpcEndpoints: false,
      logRetentionDays: 90,
      backupRetentionDays: 7,
      auditRetentionDays: 365,
      dbMinCapacity: 0.5,
      dbMaxCapacity: 4,
      apiRateLimit: 100,
      apiBurstLimit: 200,
      waf: false,
      wafRateLimit: 100_000,
      maxRequestBodyKb: 64,
    });
  });

  test('`-c key=value` strings become lists, booleans and numbers', () => {
    const s = parseSettings({
      region: 'us-east-1',
      availabilityZones: AZS.join(', '),
      eipAllocationIds: 'eipalloc-01,eipalloc-02,eipalloc-03,eipalloc-04',
      vpcEndpoints: 'true',
      waf: 'false',
      logRetentionDays: '365',
    });
    expect(s).toMatchObject({ availabilityZones: AZS, eipAllocationIds: ['eipalloc-01', 'eipalloc-02', 'eipalloc-03', 'eipalloc-04'], vpcEndpoints: true, waf: false, logRetentionDays: 365 });
  });

  test('the nonproduction profile: one NAT gateway (one allocation id), no reader; each overridable', () => {
    expect(parseSettings({ ...minimal, profile: 'nonproduction' })).toMatchObject({ natGateways: 1, dbReader: false });
    expect(parseSettings({ ...minimal, profile: 'nonproduction', eipAllocationIds: 'eipalloc-01' })).toMatchObject({ eipAllocationIds: ['eipalloc-01'] });
    expect(parseSettings({ ...minimal, profile: 'nonproduction', dbReader: 'true', natGateways: '4' })).toMatchObject({ natGateways: 4, dbReader: true });
    expect(() => parseSettings({ ...minimal, profile: 'nonproduction', eipAllocationIds: 'eipalloc-01,eipalloc-02' })).toThrow(/latchkey:eipAllocationIds: one allocation id per NAT gateway/);
  });

  test.each([
    ['an unknown profile', { profile: 'staging' }, /latchkey:profile/],
    ['two NAT gateways', { natGateways: '2' }, /latchkey:natGateways: 1 or 4/],
    ['a reserved concurrency above 50', { sweepsReservedConcurrency: '100' }, /latchkey:sweepsReservedConcurrency/],
    ['a malformed snapshot identifier', { dbSnapshotIdentifier: 'my snapshot' }, /latchkey:dbSnapshotIdentifier/],
    ['three AZs', { availabilityZones: AZS.slice(0, 3) }, /exactly 4 distinct Availability Zones/],
    ['a repeated AZ', { availabilityZones: [...AZS.slice(0, 3), 'us-east-1a'] }, /exactly 4 distinct/],
    ['AZs of another Region', { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d'] }, /must be in the Region/],
    ['three Elastic IPs', { eipAllocationIds: ['eipalloc-01', 'eipalloc-02', 'eipalloc-03'] }, /one allocation id per NAT gateway/],
    ['a malformed allocation id', { eipAllocationIds: ['eipalloc-01', 'eipalloc-02', 'eipalloc-03', '52.1.2.3'] }, /eipAllocationIds/],
    ['a retention CloudWatch does not offer', { logRetentionDays: 100 }, /retention periods/],
    ['less than 7 days of backups', { backupRetentionDays: 3 }, /backupRetentionDays/],
    ['a domain without a certificate', { domainName: 'vault.example.com' }, /domainName and certificateArn go together/],
    ['a hosted zone without a domain', { hostedZoneId: 'Z1', hostedZoneName: 'example.com' }, /a hosted zone needs a domainName/],
    ['an upper-case stage', { stage: 'Prod' }, /latchkey:stage/],
    ['a bad alarm e-mail', { alarmEmail: 'ops' }, /latchkey:alarmEmail/],
    ['minimum capacity above maximum', { dbMinCapacity: 8, dbMaxCapacity: 4 }, /dbMinCapacity must not exceed/],
  ])('rejects %s, naming the context key', (_, override, message) => {
    expect(() => parseSettings({ ...minimal, ...override })).toThrow(message);
  });
});
