import { Match } from 'aws-cdk-lib/assertions';
import { KEY_ADMIN_ACTIONS } from '../../lib/constructs/keys';
import { CONNECT_RATE_LIMIT, CONNECT_ROUTES_REGEX } from '../../lib/constructs/waf';
import { DEPLOY_FUNCTIONS, FUNCTIONS, SCHEDULES } from '../../lib/topology';
import { logicalIds, synthesize, type Synthesized } from './support/synth';

/**
 * Issue 15: what a first deploy, a second stage in one account and a redeploy need, on both
 * profiles. `prod` is cdk.json as shipped (production profile); `dev` is a second stage in the
 * same account and Region as a team would run it (nonproduction, endpoints, WAF, a restore).
 */
let prod: Synthesized;
let dev: Synthesized;
beforeAll(() => {
  prod = synthesize();
  dev = synthesize({
    'latchkey:profile': 'nonproduction',
    'latchkey:stage': 'dev',
    'latchkey:vpcEndpoints': 'true',
    'latchkey:waf': 'true',
    'latchkey:sweepsReservedConcurrency': '3',
    'latchkey:dbSnapshotIdentifier': 'latchkey-prod-before-upgrade',
  });
});

const fnIds = (s: Synthesized, names: readonly string[]) =>
  names.map((name) => {
    const found = s.ofType('AWS::Lambda::Function').find(([id]) => new RegExp(`^Latchkey(Deploy)?Functions${name[0].toUpperCase()}${name.slice(1)}[0-9A-F]{8}$`).test(id));
    if (!found) throw new Error(`no function ${name}`);
    return found[0];
  });

test('both profiles pass cdk-nag without new findings, and CDK warns about nothing', () => {
  for (const s of [prod, dev]) {
    expect(s.nagViolations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
    expect(s.cdkWarnings).toEqual([]);
  }
});

describe('1. no reserved concurrency unless asked for', () => {
  test('by default no function reserves any (PutFunctionConcurrency needs 100 unreserved left)', () => {
    for (const [, fn] of prod.ofType('AWS::Lambda::Function')) expect(fn.Properties!.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('latchkey:sweepsReservedConcurrency reserves it for the sweeps alone', () => {
    const [sweeps] = fnIds(dev, ['sweeps']);
    expect(dev.resources[sweeps].Properties!.ReservedConcurrentExecutions).toBe(3);
    const others = dev.ofType('AWS::Lambda::Function').filter(([id]) => id !== sweeps);
    for (const [, fn] of others) expect(fn.Properties!.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('2. Elastic IPs per profile', () => {
  test('production: four NAT gateways, four retained EIPs (with allocation-id outputs for reuse)', () => {
    prod.template.resourceCountIs('AWS::EC2::NatGateway', 4);
    expect(prod.ofType('AWS::EC2::EIP').map(([, r]) => r.DeletionPolicy)).toEqual(['Retain', 'Retain', 'Retain', 'Retain']);
    expect(Object.keys(prod.template.findOutputs('*')).filter((o) => o.startsWith('EgressAllocationId'))).toHaveLength(4);
  });

  test('nonproduction: one NAT gateway and one EIP, so a second stage fits the default quota of five', () => {
    dev.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    dev.template.resourceCountIs('AWS::EC2::EIP', 1);
    const [nat] = dev.ofType('AWS::EC2::NatGateway').map(([id]) => id);
    const privateDefaults = dev.ofType('AWS::EC2::Route').filter(([, r]) => r.Properties!.DestinationCidrBlock === '0.0.0.0/0' && r.Properties!.NatGatewayId);
    expect(privateDefaults).toHaveLength(4);
    for (const [, r] of privateDefaults) expect(r.Properties!.NatGatewayId).toEqual({ Ref: nat });
    expect(Object.keys(dev.template.findOutputs('*')).filter((o) => o.startsWith('EgressIp'))).toEqual(['EgressIp1']);
  });
});

test('3. the schedule group is deleted with the stack (a retained one blocks the next create)', () => {
  for (const s of [prod, dev]) {
    s.template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  }
});

test('4. every function that reads the database is updated only after the migrations ran', () => {
  const [migrations] = prod.ofType('Custom::LatchkeyMigrations').map(([id]) => id);
  for (const id of fnIds(prod, FUNCTIONS.map((f) => f.name))) expect(prod.resources[id].DependsOn).toContain(migrations);
  const [bootstrap] = prod.ofType('Custom::LatchkeyBootstrapKeys');
  expect(bootstrap[1].DependsOn).toContain(migrations);
});

describe('6. interface endpoints', () => {
  test('the credentials rotation function may reach them (Secrets Manager); nothing else but the functions', () => {
    const [endpointsSg] = logicalIds(dev.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('^Interface endpoints') });
    const [rotationSg] = logicalIds(dev.template, 'AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('credentials rotation') });
    const ingress = dev.ofType('AWS::EC2::SecurityGroupIngress').filter(([, r]) => r.Properties!.GroupId?.['Fn::GetAtt']?.[0] === endpointsSg);
    const sources = ingress.map(([, r]) => r.Properties!.SourceSecurityGroupId['Fn::GetAtt'][0]).sort();
    expect(sources).toEqual([expect.stringMatching(/NetworkFunctions/), rotationSg].sort());
    for (const [, r] of ingress) expect(r.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 });
    // The rotation runs in that group (the SAR application's parameter).
    dev.template.hasResourceProperties('AWS::Serverless::Application', { Parameters: Match.objectLike({ vpcSecurityGroupIds: { 'Fn::GetAtt': [rotationSg, 'GroupId'] } }) });
  });

  test('no CloudWatch Logs endpoint: Lambda ships the logs itself', () => {
    const services = dev.ofType('AWS::EC2::VPCEndpoint').map(([, r]) => JSON.stringify(r.Properties!.ServiceName));
    expect(services.some((sv) => sv.includes('.logs'))).toBe(false);
    expect(services.filter((sv) => /\.(kms|rds-data|events|secretsmanager)"/.test(sv))).toHaveLength(4);
  });
});

test('8. WAF: a server-to-server rate for the API; the body cap and a browser rate only on the connect routes', () => {
  const [[, acl]] = dev.ofType('AWS::WAFv2::WebACL');
  const rules = acl.Properties!.Rules as any[];
  const byName = Object.fromEntries(rules.map((r) => [r.Name, r.Statement]));
  expect(byName['rate-per-ip'].RateBasedStatement).toEqual({ Limit: 100_000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
  const connectRoutes = { RegexMatchStatement: { RegexString: CONNECT_ROUTES_REGEX, FieldToMatch: { UriPath: {} }, TextTransformations: [{ Priority: 0, Type: 'NONE' }] } };
  expect(byName['connect-rate-per-ip'].RateBasedStatement).toMatchObject({ Limit: CONNECT_RATE_LIMIT, ScopeDownStatement: connectRoutes });
  expect(byName['connect-body-size'].AndStatement.Statements[0]).toEqual(connectRoutes);
  expect(byName['connect-body-size'].AndStatement.Statements[1].SizeConstraintStatement).toMatchObject({ Size: 64 * 1024, ComparisonOperator: 'GT' });
  // No unscoped body rule is left.
  for (const r of rules) expect(r.Statement.SizeConstraintStatement).toBeUndefined();
  const regex = new RegExp(CONNECT_ROUTES_REGEX);
  for (const path of ['/oauth/connect/github', '/dev/oauth/callback', '/oauth2/auth/x', '/api-auth/api-key/x', '/dev/connect']) expect(regex.test(path)).toBe(true);
  for (const path of ['/records', '/dev/records', '/connections/abc', '/connect-sessions', '/dev/connect-sessions', '/proxy/x']) expect(regex.test(path)).toBe(false);
});

describe('10. separate keys; the envelope key is used only by the function roles (by purpose) and break-glass', () => {
  const keyPolicyOf = (s: Synthesized, description: RegExp) => {
    const [[, key]] = s.ofType('AWS::KMS::Key').filter(([, r]) => description.test(r.Properties!.Description));
    return key.Properties!.KeyPolicy.Statement as any[];
  };

  test('two keys, both retained, with retained aliases; the cluster uses the storage key', () => {
    prod.template.resourceCountIs('AWS::KMS::Key', 2);
    for (const [, key] of prod.ofType('AWS::KMS::Key')) expect(key.DeletionPolicy).toBe('Retain');
    expect(prod.ofType('AWS::KMS::Alias').map(([, a]) => [a.Properties!.AliasName, a.DeletionPolicy]).sort()).toEqual([
      ['alias/latchkey-prod', 'Retain'],
      ['alias/latchkey-prod-storage', 'Retain'],
    ]);
    const [storage] = prod.ofType('AWS::KMS::Key').filter(([, r]) => /database/.test(r.Properties!.Description)).map(([id]) => id);
    prod.template.hasResourceProperties('AWS::RDS::DBCluster', { KmsKeyId: { 'Fn::GetAtt': [storage, 'Arn'] } });
  });

  test('the account may administer the envelope key but not use it', () => {
    const statements = keyPolicyOf(prod, /wraps the data keys/);
    const forAccount = statements.filter((st) => JSON.stringify(st.Principal).includes(':root'));
    expect(forAccount).toHaveLength(1);
    expect([...forAccount[0].Action].sort()).toEqual([...KEY_ADMIN_ACTIONS].sort());
    for (const action of ['kms:*', 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:Create*']) {
      expect(forAccount[0].Action).not.toContain(action);
    }
    // Without PutKeyPolicy for the account, KMS's lockout check refuses the policy.
    expect(forAccount[0].Action).toContain('kms:PutKeyPolicy');
  });

  test.each([...FUNCTIONS, ...DEPLOY_FUNCTIONS].filter((f) => f.kms).map((f) => [f.name, f.kms!] as const))(
    'the key policy admits %s for exactly its purposes',
    (name, use) => {
      const [fnId] = fnIds(prod, [name]);
      const role = prod.resources[fnId].Properties!.Role['Fn::GetAtt'][0];
      const mine = keyPolicyOf(prod, /wraps the data keys/).filter((st) => JSON.stringify(st.Principal).includes(role));
      // CDK merges statements that differ only in their action.
      const grants = Object.fromEntries(
        mine.flatMap((st) => ([] as string[]).concat(st.Action).map((action) => [action, [].concat(st.Condition.StringEquals['kms:EncryptionContext:purpose']).sort()])),
      );
      const expected = Object.fromEntries(
        (
          [
            ['kms:Decrypt', use.decrypt],
            ['kms:GenerateDataKey', use.generateDataKey],
          ] as const
        )
          .filter(([, p]) => p?.length)
          .map(([a, p]) => [a, [...p!].sort()]),
      );
      expect(grants).toEqual(expected);
    },
  );

  test('every other statement is the break-glass role, which needs MFA to assume', () => {
    const statements = keyPolicyOf(prod, /wraps the data keys/);
    const [breakGlass] = statements.filter((st) => st.Sid === 'BreakGlassDecrypt');
    expect(breakGlass.Action).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    const roleId = breakGlass.Principal.AWS['Fn::GetAtt'][0];
    prod.template.hasResourceProperties('AWS::IAM::Role', {
      MaxSessionDuration: 3600,
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } } })] },
    });
    expect(prod.resources[roleId].Type).toBe('AWS::IAM::Role');
    const functionRoles = new Set(fnIds(prod, [...FUNCTIONS, ...DEPLOY_FUNCTIONS].map((f) => f.name)).map((id) => prod.resources[id].Properties!.Role['Fn::GetAtt'][0]));
    for (const st of statements) {
      if (st.Sid === 'KeyAdministration' || st.Sid === 'BreakGlassDecrypt') continue;
      // CDK merges identical statements of several roles into one with a list of principals.
      for (const principal of ([] as Array<{ 'Fn::GetAtt': [string, string] }>).concat(st.Principal.AWS)) expect(functionRoles.has(principal['Fn::GetAtt'][0])).toBe(true);
      expect(st.Condition.StringEquals['kms:EncryptionContext:purpose']).toBeDefined();
    }
  });
});

describe('11. monitoring', () => {
  test('alarms on 4XX rate, 429s, latency, each function’s throttles and Aurora at its maximum', () => {
    const names = prod.ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!.AlarmName.replace('latchkey-prod-us-east-1-', ''));
    expect(names).toEqual(expect.arrayContaining(['api-4xx-rate', 'api-429', 'api-latency-p99', 'aurora-max-capacity', ...FUNCTIONS.map((f) => `${f.name}-throttles`)]));
    prod.template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.status = "429" }', MetricTransformations: [Match.objectLike({ MetricNamespace: 'Latchkey', MetricName: 'ApiThrottled' })] });
    prod.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'latchkey-prod-us-east-1-aurora-max-capacity',
      MetricName: 'ServerlessDatabaseCapacity',
      Threshold: 4,
      EvaluationPeriods: 3,
    });
  });

  test('a failed secret rotation notifies the alarm topic', () => {
    const [topic] = logicalIds(prod.template, 'AWS::SNS::Topic');
    prod.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.secretsmanager'], 'detail-type': ['AWS Service Event via CloudTrail'], detail: { eventName: ['RotationFailed'] } },
      Targets: [Match.objectLike({ Arn: { Ref: topic } })],
    });
  });

  test('a sweep run that fails after Lambda’s retries lands in the schedules dead-letter queue', () => {
    const [sweeps] = fnIds(prod, ['sweeps']);
    const [queue] = logicalIds(prod.template, 'AWS::SQS::Queue').filter((id) => /SchedulesDeadLetterQueue/.test(id));
    prod.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sweeps },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queue, 'Arn'] } } },
    });
  });

  test('frequent sweeps start on different minutes', () => {
    const frequent = SCHEDULES.filter((sc) => sc.function === 'sweeps' && !/^cron\(\d+ \d+ /.test(sc.expression));
    expect(frequent.length).toBeGreaterThanOrEqual(3);
    for (const sc of frequent) expect(sc.expression).toMatch(/^cron\(\d+\/\d+ \* \* \* \? \*\)$/);
    const starts = frequent.map((sc) => Number(/^cron\((\d+)\//.exec(sc.expression)![1]));
    expect(new Set(starts).size).toBe(starts.length);
  });
});

describe('12. restore and teardown', () => {
  test('latchkey:dbSnapshotIdentifier creates the cluster from that snapshot, with a new master secret', () => {
    dev.template.hasResourceProperties('AWS::RDS::DBCluster', { SnapshotIdentifier: 'latchkey-prod-before-upgrade', MasterUserPassword: Match.anyValue() });
    prod.template.hasResourceProperties('AWS::RDS::DBCluster', { SnapshotIdentifier: Match.absent() });
  });

  test('log group names, keys and the break-glass role are outputs', () => {
    const outputs = Object.keys(prod.template.findOutputs('*'));
    expect(outputs).toEqual(
      expect.arrayContaining([
        'ApiAccessLogGroup',
        ...[...FUNCTIONS, ...DEPLOY_FUNCTIONS].map((f) => `${f.name[0].toUpperCase()}${f.name.slice(1)}LogGroup`),
        'EnvelopeKeyArn',
        'StorageKeyArn',
        'BreakGlassRoleArn',
      ]),
    );
  });
});

test('13. the reader instance is optional: on in production, off in nonproduction', () => {
  prod.template.resourceCountIs('AWS::RDS::DBInstance', 2);
  dev.template.resourceCountIs('AWS::RDS::DBInstance', 1);
});
