import { Match } from 'aws-cdk-lib/assertions';
import { INTERFACE_ENDPOINTS } from '../../lib/constructs/network';
import { synthesize, type Synthesized } from './support/synth';

/** Every optional feature on, as a team might deploy a second stage. Synthesized once. */
const ALLOCATION_IDS = ['eipalloc-0a1', 'eipalloc-0b2', 'eipalloc-0c3', 'eipalloc-0d4'];
let s: Synthesized;

beforeAll(() => {
  s = synthesize({
    'latchkey:stage': 'staging',
    'latchkey:region': 'eu-west-1',
    // As `cdk deploy -c key=value` passes them: strings.
    'latchkey:availabilityZones': 'eu-west-1a,eu-west-1b,eu-west-1c,eu-west-1d',
    'latchkey:eipAllocationIds': ALLOCATION_IDS.join(','),
    'latchkey:vpcEndpoints': 'true',
    'latchkey:waf': 'true',
    'latchkey:maxRequestBodyKb': '32',
    'latchkey:domainName': 'vault.example.com',
    'latchkey:certificateArn': 'arn:aws:acm:eu-west-1:111111111111:certificate/0d7e3b52',
    'latchkey:hostedZoneId': 'Z0123456789',
    'latchkey:hostedZoneName': 'example.com',
    'latchkey:alarmEmail': 'ops@example.com',
    'latchkey:logRetentionDays': '30',
    'latchkey:backupRetentionDays': '14',
    'latchkey:dbMinCapacity': '0',
  });
});

const ofType = (type: string) => s.ofType(type);

test('cdk-nag: no unacknowledged finding with every option on; CDK: no warning', () => {
  expect(s.nagViolations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
  expect(s.cdkWarnings).toEqual([]);
});

test('pre-allocated Elastic IPs: no new EIP, each NAT gateway takes one of them', () => {
  s.template.resourceCountIs('AWS::EC2::EIP', 0);
  s.template.resourceCountIs('AWS::EC2::NatGateway', 4);
  expect(ofType('AWS::EC2::NatGateway').map(([, r]) => r.Properties!.AllocationId)).toEqual(ALLOCATION_IDS);
});

test('their public addresses are looked up at deploy (DescribeAddresses) for the outputs and the api', () => {
  s.template.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('"action":"describeAddresses".*eipalloc-0a1') });
  const outputs = s.template.findOutputs('*');
  for (const i of [1, 2, 3, 4]) expect(JSON.stringify(outputs[`EgressIp${i}`].Value)).toContain(`Addresses.${i - 1}.PublicIp`);
  expect(outputs.EgressAllocationId1.Value).toBe('eipalloc-0a1');
});

test('interface endpoints for KMS, RDS Data, EventBridge and Secrets Manager, in all four AZs, reachable from the functions (and the credentials rotation) only', () => {
  const endpoints = ofType('AWS::EC2::VPCEndpoint').map(([, r]) => r.Properties!);
  const interfaces = endpoints.filter((e) => e.VpcEndpointType === 'Interface');
  expect(interfaces).toHaveLength(Object.keys(INTERFACE_ENDPOINTS).length);
  const services = interfaces.map((e) => JSON.stringify(e.ServiceName));
  for (const name of ['kms', 'rds-data', 'events', 'secretsmanager']) expect(services.some((sv) => sv.includes(`.${name}`))).toBe(true);
  for (const e of interfaces) {
    expect(e.SubnetIds).toHaveLength(4);
    expect(e.PrivateDnsEnabled).toBe(true);
  }
  s.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
    IpProtocol: 'tcp',
    FromPort: 443,
    ToPort: 443,
    SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('NetworkFunctions'), 'GroupId'] },
  });
});

test('WAF: a per-IP rate limit and, on the connect routes, a body size cap, attached to the REST stage', () => {
  s.template.hasResourceProperties('AWS::WAFv2::WebACL', {
    Scope: 'REGIONAL',
    AssociationConfig: { RequestBody: { API_GATEWAY: { DefaultSizeInspectionLimit: 'KB_32' } } },
    Rules: Match.arrayWith([
      Match.objectLike({ Statement: { RateBasedStatement: { Limit: 100_000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } }, Action: { Block: {} } }),
      Match.objectLike({
        Statement: {
          AndStatement: {
            Statements: [
              Match.objectLike({ RegexMatchStatement: Match.anyValue() }),
              { SizeConstraintStatement: Match.objectLike({ ComparisonOperator: 'GT', Size: 32 * 1024, FieldToMatch: { Body: { OversizeHandling: 'MATCH' } } }) },
            ],
          },
        },
      }),
    ]),
  });
  s.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { ResourceArn: Match.anyValue(), WebACLArn: Match.anyValue() });
});

test("WAF's blocks answer in Nango's envelope with the API's CORS headers: 429 for the rate limits, 413 for the connect body cap", () => {
  const [[, acl]] = s.ofType('AWS::WAFv2::WebACL');
  const { Rules: rules, CustomResponseBodies: bodies } = acl.Properties! as { Rules: any[]; CustomResponseBodies: Record<string, { ContentType: string; Content: string }> };
  const answer = (name: string) => {
    const { ResponseCode, CustomResponseBodyKey, ResponseHeaders } = rules.find((r) => r.Name === name).Action.Block.CustomResponse;
    const headers = Object.fromEntries((ResponseHeaders as { Name: string; Value: string }[]).map((h) => [h.Name.toLowerCase(), h.Value]));
    return { status: ResponseCode, type: bodies[CustomResponseBodyKey].ContentType, body: JSON.parse(bodies[CustomResponseBodyKey].Content), headers };
  };
  for (const name of ['rate-per-ip', 'connect-rate-per-ip']) {
    expect(answer(name)).toMatchObject({ status: 429, type: 'APPLICATION_JSON', body: { error: { code: 'too_many_request' } }, headers: { 'retry-after': '60', 'access-control-allow-origin': '*' } });
  }
  expect(answer('connect-body-size')).toMatchObject({ status: 413, body: { error: { code: 'request_too_large', message: expect.stringContaining('32 KB') } }, headers: { 'access-control-allow-origin': '*' } });
  // Known-bad inputs keep WAF's block, answered by the WAF_FILTERED gateway response.
  expect(rules.find((r) => r.Name === 'aws-known-bad-inputs').OverrideAction).toEqual({ None: {} });
});

test('custom domain with TLS 1.2 minimum, mapped to the stage, with an alias record; ApiUrl uses it', () => {
  s.template.hasResourceProperties('AWS::ApiGateway::DomainName', {
    DomainName: 'vault.example.com',
    SecurityPolicy: 'TLS_1_2',
    EndpointConfiguration: { Types: ['REGIONAL'] },
    RegionalCertificateArn: 'arn:aws:acm:eu-west-1:111111111111:certificate/0d7e3b52',
  });
  s.template.resourceCountIs('AWS::ApiGateway::BasePathMapping', 1);
  s.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'vault.example.com.', Type: 'A', HostedZoneId: 'Z0123456789' });
  expect(s.template.findOutputs('ApiUrl').ApiUrl.Value).toBe('https://vault.example.com/');
});

test('alarm e-mail, retention, backups and auto-pause follow the settings; names carry stage and Region', () => {
  s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  for (const [id, lg] of ofType('AWS::Logs::LogGroup')) expect([id, lg.Properties!.RetentionInDays]).toEqual([id, 30]);
  s.template.hasResourceProperties('AWS::RDS::DBCluster', {
    BackupRetentionPeriod: 14,
    ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 4, SecondsUntilAutoPause: 600 },
  });
  s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'latchkey-staging-eu-west-1' });
  for (const [, a] of ofType('AWS::CloudWatch::Alarm')) expect(a.Properties!.AlarmName).toMatch(/^latchkey-staging-eu-west-1-/);
  expect(s.stack.stackName).toBe('Latchkey-staging');
});
