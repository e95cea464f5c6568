import path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { hashDirectory } from '../../lib/constructs/migrations';
import { EnvSchema } from '../../lambdas/platform/config';
import { DEPLOY_FUNCTIONS, EVENT_RULES, EVENT_SOURCE, FUNCTIONS, KMS_PURPOSES, ROUTES, SCHEDULES, WEBSOCKET_ROUTES, type KmsUse } from '../../lib/topology';
import { logicalIds, synthesize, type Synthesized } from './support/synth';

/** The stack as cdk.json configures it (stage prod, us-east-1a–d, no optional extras). Synthesized once. */
let s: Synthesized;
let resources: Synthesized['resources'];
const AZS = ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d'];

beforeAll(() => {
  s = synthesize();
  resources = s.resources;
});

const ofType = (type: string) => s.ofType(type);
const subnetsOfType = (kind: 'Public' | 'Private' | 'Isolated') =>
  ofType('AWS::EC2::Subnet').filter(([, r]) => r.Properties!.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === kind));
/** Logical id of the function built from a topology entry (`api` → LatchkeyFunctionsApi…). */
const functionId = (name: string) => {
  const [id] = ofType('AWS::Lambda::Function').filter(([k]) => new RegExp(`^Latchkey(Deploy)?Functions${name[0].toUpperCase()}${name.slice(1)}[0-9A-F]{8}$`).test(k));
  if (!id) throw new Error(`no function ${name}`);
  return id[0];
};

describe('cdk-nag and CDK', () => {
  test('AwsSolutions reports no unacknowledged error or warning', () => {
    expect(s.nagViolations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
  });

  test('CDK itself reports no warning', () => {
    expect(s.cdkWarnings).toEqual([]);
  });
});

describe('network', () => {
  test('a VPC over the four configured AZs with public, private-with-egress and isolated subnets', () => {
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    for (const kind of ['Public', 'Private', 'Isolated'] as const) {
      const subnets = subnetsOfType(kind);
      expect(subnets.map(([, r]) => r.Properties!.AvailabilityZone).sort()).toEqual(AZS);
    }
  });

  test('exactly four NAT gateways, one per public subnet, each with its own retained Elastic IP', () => {
    s.template.resourceCountIs('AWS::EC2::NatGateway', 4);
    const eips = ofType('AWS::EC2::EIP');
    expect(eips).toHaveLength(4);
    for (const [, eip] of eips) expect(eip.DeletionPolicy).toBe('Retain');
    const nats = ofType('AWS::EC2::NatGateway').map(([, r]) => r.Properties!);
    expect(nats.map((n) => n.AllocationId['Fn::GetAtt'][0]).sort()).toEqual(eips.map(([id]) => id).sort());
    expect(new Set(nats.map((n) => n.SubnetId.Ref))).toEqual(new Set(subnetsOfType('Public').map(([id]) => id)));
  });

  test('each private subnet sends internet traffic through the NAT gateway of its own AZ; isolated ones have no way out', () => {
    const azOfSubnet = new Map(ofType('AWS::EC2::Subnet').map(([id, r]) => [id, r.Properties!.AvailabilityZone]));
    const natAz = new Map(ofType('AWS::EC2::NatGateway').map(([id, r]) => [id, azOfSubnet.get(r.Properties!.SubnetId.Ref)]));
    const tableOfSubnet = new Map(ofType('AWS::EC2::SubnetRouteTableAssociation').map(([, r]) => [r.Properties!.SubnetId.Ref, r.Properties!.RouteTableId.Ref]));
    const defaultRoutes = ofType('AWS::EC2::Route').filter(([, r]) => r.Properties!.DestinationCidrBlock === '0.0.0.0/0');
    const viaNat = (subnet: string) => defaultRoutes.find(([, r]) => r.Properties!.RouteTableId.Ref === tableOfSubnet.get(subnet))?.[1].Properties!.NatGatewayId?.Ref;

    const privateSubnets = subnetsOfType('Private').map(([id]) => id);
    expect(privateSubnets).toHaveLength(4);
    const nats = privateSubnets.map(viaNat);
    expect(new Set(nats).size).toBe(4);
    privateSubnets.forEach((subnet, i) => expect(natAz.get(nats[i])).toBe(azOfSubnet.get(subnet)));
    for (const [id] of subnetsOfType('Isolated')) expect(defaultRoutes.some(([, r]) => r.Properties!.RouteTableId.Ref === tableOfSubnet.get(id))).toBe(false);
  });

  test('flow logs of all traffic go to a log group with the configured retention', () => {
    s.template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    const [logGroup] = logicalIds(s.template, 'AWS::Logs::LogGroup').filter((id) => id.includes('FlowLogs'));
    expect(resources[logGroup].Properties!.RetentionInDays).toBe(90);
  });

  test('the free S3 gateway endpoint is always there; interface endpoints are off by default', () => {
    s.template.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    s.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' });
  });

  test('the four egress IPs are outputs and reach the functions as LATCHKEY_EGRESS_IPS', () => {
    const eipIds = ofType('AWS::EC2::EIP').map(([id]) => id).sort();
    const outputs = Object.entries(s.template.findOutputs('*')).filter(([id]) => id.startsWith('EgressIp')).map(([, o]) => o);
    expect(outputs.map((o) => o.Value['Fn::GetAtt'][0]).sort()).toEqual(eipIds);
    expect(outputs.map((o) => o.Value['Fn::GetAtt'][1])).toEqual(Array(4).fill('PublicIp'));
    const api = resources[functionId('api')].Properties!;
    const joined = api.Environment.Variables.LATCHKEY_EGRESS_IPS['Fn::Join'];
    expect(joined[0]).toBe(',');
    expect(joined[1].map((v: any) => v['Fn::GetAtt'][0]).sort()).toEqual(eipIds);
  });

  test('the audit retention setting reaches the sweeps', () => {
    expect(resources[functionId('sweeps')].Properties!.Environment.Variables.LATCHKEY_AUDIT_RETENTION_DAYS).toBe('365');
  });
});

describe('database', () => {
  test('Aurora Serverless v2 PostgreSQL 17 with the Data API, encrypted with our storage key, backed up for 7 days, protected', () => {
    const [keyId] = ofType('AWS::KMS::Key').filter(([, r]) => /database/.test(r.Properties!.Description)).map(([id]) => id);
    s.template.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql',
        EngineVersion: Match.stringLikeRegexp('^17\\.'),
        EnableHttpEndpoint: true,
        StorageEncrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
        BackupRetentionPeriod: 7,
        DeletionProtection: true,
        ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
      }),
    });
  });

  test('a writer and a reader, serverless, in different AZs', () => {
    const instances = ofType('AWS::RDS::DBInstance').map(([, r]) => r.Properties!);
    expect(instances).toHaveLength(2);
    expect(instances.map((i) => i.DBInstanceClass)).toEqual(['db.serverless', 'db.serverless']);
    expect(new Set(instances.map((i) => i.AvailabilityZone))).toEqual(new Set(['us-east-1a', 'us-east-1b']));
    for (const i of instances) expect(i.PubliclyAccessible).toBe(false);
  });

  test('lives in the isolated subnets', () => {
    const isolated = subnetsOfType('Isolated').map(([id]) => ({ Ref: id }));
    s.template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: Match.arrayEquals(isolated) });
  });

  test('its credentials are a Secrets Manager secret rotated every 30 days', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
  });

  test('migrations run as a custom resource after the instances exist, re-run when the SQL changes', () => {
    const [migrations] = ofType('Custom::LatchkeyMigrations');
    const props = migrations[1].Properties!;
    expect(props.MigrationsHash).toBe(hashDirectory(path.resolve(__dirname, '../../lambdas/platform/db/migrations')));
    const instances = ofType('AWS::RDS::DBInstance').map(([id]) => id);
    expect(migrations[1].DependsOn).toEqual(expect.arrayContaining(instances));
    // Served by the migrate function through the provider framework.
    const providerFn = resources[props.ServiceToken['Fn::GetAtt'][0]].Properties!;
    expect(providerFn.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN['Fn::GetAtt'][0]).toBe(functionId('migrate'));
  });
});

describe('keys', () => {
  test('two customer-managed keys with rotation, kept when the stack goes; the storage key has the account-delegation policy RDS needs', () => {
    s.template.resourceCountIs('AWS::KMS::Key', 2);
    for (const [, key] of ofType('AWS::KMS::Key')) expect([key.DeletionPolicy, key.Properties!.EnableKeyRotation]).toEqual(['Retain', true]);
    s.template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        Description: Match.stringLikeRegexp('database'),
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'kms:*', Principal: { AWS: { 'Fn::Join': ['', ['arn:aws:iam::', { Ref: 'AWS::AccountId' }, ':root']] } } }),
          ]),
          Version: '2012-10-17',
        },
      }),
    });
    s.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-prod' });
    s.template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/latchkey-prod-storage' });
  });

  /** The KMS statements a function's role carries, as {action: purposes}. */
  const kmsGrants = (fn: string) => {
    const role = resources[fn].Properties!.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties!.Roles.some((r: any) => r.Ref === role))
      .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement as any[]);
    const grants: Record<string, string[]> = {};
    for (const st of statements) {
      const actions = ([] as string[]).concat(st.Action).filter((a) => a.startsWith('kms:'));
      for (const action of actions) {
        // Every KMS permission is bound to purposes: none is unconditional.
        expect(st.Condition?.StringEquals?.['kms:EncryptionContext:purpose']).toBeDefined();
        grants[action] = [...(grants[action] ?? []), ...[].concat(st.Condition.StringEquals['kms:EncryptionContext:purpose'])].sort();
      }
    }
    return grants;
  };
  const expected = (use: KmsUse | undefined) =>
    Object.fromEntries(
      [
        ['kms:Decrypt', use?.decrypt],
        ['kms:GenerateDataKey', use?.generateDataKey],
      ]
        .filter(([, p]) => p?.length)
        .map(([a, p]) => [a, [...(p as string[])].sort()]),
    );

  test.each([...FUNCTIONS, ...DEPLOY_FUNCTIONS].map((f) => [f.name, f.kms] as const))(
    '%s may use the key only for the purposes its spec lists',
    (name, use) => {
      expect(kmsGrants(functionId(name))).toEqual(expected(use));
    },
  );

  test('the api authenticates requests, so it may unwrap the secret-hash pepper; the migrator may only seal new signing keys', () => {
    expect(kmsGrants(functionId('api'))['kms:Decrypt']).toEqual(expect.arrayContaining(['secret-hash-pepper']));
    expect(kmsGrants(functionId('api'))['kms:Decrypt']).toHaveLength(KMS_PURPOSES.length);
    expect(kmsGrants(functionId('migrate'))).toEqual({ 'kms:GenerateDataKey': ['environment-secret'] });
  });
});

describe('api', () => {
  test('a regional REST API with exactly the ROUTES of the topology, each to its function', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'latchkey-prod', EndpointConfiguration: { Types: ['REGIONAL'] } });
    const resourcesById = new Map(ofType('AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties!]));
    // A resource's full path, up its ParentId chain (the root's id is a GetAtt, not a resource).
    const pathOf = (id: string): string => {
      const r = resourcesById.get(id);
      return r ? `${pathOf(r.ParentId.Ref)}/${r.PathPart}` : '';
    };
    const methods = ofType('AWS::ApiGateway::Method').map(([, r]) => r.Properties!);
    expect(methods).toHaveLength(ROUTES.length);
    for (const route of ROUTES) {
      const method = methods.find((m) => m.HttpMethod === route.method && (m.ResourceId.Ref ? pathOf(m.ResourceId.Ref) : '/') === route.path);
      expect(method).toBeDefined();
      expect(method!.Integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(method!.Integration.Uri)).toContain(functionId(route.function));
    }
  });

  test('the stage throttles, writes access logs, and never logs bodies', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
  });

  test('every function is Node 22 on arm64 in the private subnets of all four AZs, with its own log group', () => {
    const privateSubnets = subnetsOfType('Private').map(([id]) => ({ Ref: id }));
    for (const spec of [...FUNCTIONS, ...DEPLOY_FUNCTIONS]) {
      const fn = resources[functionId(spec.name)].Properties!;
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], MemorySize: spec.memoryMb, Timeout: spec.timeoutSeconds });
      expect(fn.VpcConfig.SubnetIds).toEqual(expect.arrayContaining(privateSubnets));
      expect(fn.VpcConfig.SubnetIds).toHaveLength(4);
      const logGroup = resources[fn.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Properties!.RetentionInDays).toBe(90);
      expect(fn.ReservedConcurrentExecutions).toBe(spec.reservedConcurrency);
    }
  });

  test('every function gets each setting lambdas/platform/config.ts requires, no name it does not know, and Powertools its namespace', () => {
    const known = Object.keys(EnvSchema.shape);
    const required = known.filter((name) => !EnvSchema.shape[name as keyof typeof EnvSchema.shape].safeParse(undefined).success);
    expect(required).toEqual(expect.arrayContaining(['LATCHKEY_DB_CLUSTER_ARN', 'LATCHKEY_DB_SECRET_ARN', 'LATCHKEY_KMS_KEY_ID']));
    for (const spec of [...FUNCTIONS, ...DEPLOY_FUNCTIONS]) {
      const vars = resources[functionId(spec.name)].Properties!.Environment.Variables;
      for (const name of required) expect(vars[name]).toBeDefined();
      for (const name of Object.keys(vars).filter((n) => n.startsWith('LATCHKEY_'))) expect(known).toContain(name);
      // Plain HTTP to loopback is for npm start and the tests only.
      expect(vars.LATCHKEY_WEBHOOK_ALLOW_LOOPBACK_HTTP).toBeUndefined();
      expect(vars).toMatchObject({ LATCHKEY_STAGE: 'prod', LATCHKEY_DB_NAME: 'latchkey', POWERTOOLS_METRICS_NAMESPACE: 'Latchkey' });
    }
  });

  test('no WAF or custom domain unless configured', () => {
    s.template.resourceCountIs('AWS::WAFv2::WebACL', 0);
    s.template.resourceCountIs('AWS::ApiGateway::DomainName', 0);
  });
});

describe('browser relay (WEBSOCKET_ROUTES)', () => {
  test("one WebSocket API whose $connect and $disconnect go to connect; its URL is the stack's WebSocketUrl output", () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', Name: 'latchkey-prod-relay' });
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey).sort();
    expect(routes).toEqual(WEBSOCKET_ROUTES.map((r) => r.routeKey).sort());
    const integrations = ofType('AWS::ApiGatewayV2::Integration').map(([, r]) => JSON.stringify(r.Properties!.IntegrationUri));
    expect(integrations.every((uri) => uri.includes(functionId('connect')))).toBe(true);
    const output = s.template.findOutputs('WebSocketUrl').WebSocketUrl;
    expect(JSON.stringify(output.Value)).toContain('wss://');
    expect(output.Description).toContain('websocketsPath');
  });

  test('connect may post to its sockets (callback URL in its environment) and queue an invocation of itself, nothing wider', () => {
    const connect = resources[functionId('connect')].Properties!;
    expect(connect.Environment.Variables.LATCHKEY_WEBSOCKET_CALLBACK_URL).toBeDefined();
    const role = connect.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties!.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties!.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([expect.objectContaining({ Action: 'execute-api:ManageConnections' })]));
    const invoke = statements.filter((st: { Action: unknown }) => JSON.stringify(st.Action).includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [functionId('connect'), 'Arn'] } }]);
    // No other function may post to sockets or invoke connect.
    for (const name of ['api', 'sweeps', 'webhooks']) expect(resources[functionId(name)].Properties!.Environment.Variables.LATCHKEY_WEBSOCKET_CALLBACK_URL).toBeUndefined();
  });

  test("every function knows the socket's public URL: GET /connect/session's websocketsPath", () => {
    for (const spec of FUNCTIONS) {
      expect(JSON.stringify(resources[functionId(spec.name)].Properties!.Environment.Variables.LATCHKEY_WEBSOCKET_URL)).toContain('wss://');
    }
  });
});

describe('events and schedules', () => {
  test('a bus of its own; one rule per EVENT_RULES entry, our events only, to its function with the events dead-letter queue', () => {
    s.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'latchkey-prod' });
    // Plus the default bus's rotation-failure rule (observability).
    expect(ofType('AWS::Events::Rule').filter(([, r]) => r.Properties!.EventBusName)).toHaveLength(EVENT_RULES.length);
    const [eventsQueue] = logicalIds(s.template, 'AWS::SQS::Queue').filter((id) => /EventsDeadLetterQueue/.test(id));
    for (const rule of EVENT_RULES) {
      s.template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { ...rule.pattern, source: [EVENT_SOURCE] },
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(rule.function), 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [eventsQueue, 'Arn'] } } })],
      });
    }
    s.template.resourceCountIs('AWS::SQS::Queue', 2);
  });

  test.each(SCHEDULES.map((sc) => [sc.name, sc] as const))('schedule %s invokes its function with retries and a dead-letter queue', (_, spec) => {
    const [queue] = logicalIds(s.template, 'AWS::SQS::Queue').filter((id) => /SchedulesDeadLetterQueue/.test(id));
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: spec.expression,
      GroupName: Match.anyValue(),
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [functionId(spec.function), 'Arn'] },
        Input: JSON.stringify(spec.input),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queue, 'Arn'] } },
        RoleArn: Match.anyValue(),
      },
    });
  });

  test('the scheduled input keeps Scheduler’s <aws.scheduler.scheduled-time> for Scheduler to fill in', () => {
    const inputs = ofType('AWS::Scheduler::Schedule').map(([, r]) => JSON.parse(r.Properties!.Target.Input));
    expect(inputs).toContainEqual(expect.objectContaining({ scheduledTime: '<aws.scheduler.scheduled-time>' }));
  });

  test('dead-letter queues keep messages 14 days, encrypted, TLS only', () => {
    s.template.hasResourceProperties('AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('observability', () => {
  test('one dashboard named for stage and Region, with every panel the issue lists', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'latchkey-prod-us-east-1' });
    const body = JSON.stringify(ofType('AWS::CloudWatch::Dashboard')[0][1].Properties!.DashboardBody);
    for (const title of [
      'API requests',
      'API 4xx / 5xx',
      'API latency p50 / p99',
      'Function errors',
      'Function throttles',
      'Function duration p99',
      'Aurora capacity',
      'Aurora connections',
      'KMS calls',
      'Credential refreshes',
      'Webhook deliveries',
      'Dead-letter queue depth',
      'Sweep counts',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of SCHEDULES.flatMap((sc) => sc.metrics ?? [])) expect(body).toContain(`\\"Latchkey\\",\\"${metric}\\",\\"service\\",\\"latchkey\\"`);
  });

  test('alarms on the API’s 5xx, 4xx rate, 429s and latency, each function’s errors and throttles, Aurora at its maximum and each DLQ, uniquely named, notifying one topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual(
      [
        'api-5xx',
        'api-4xx-rate',
        'api-429',
        'api-latency-p99',
        ...FUNCTIONS.flatMap((f) => [`${f.name}-errors`, `${f.name}-throttles`]),
        'aurora-max-capacity',
        'events-dlq',
        'schedules-dlq',
      ]
        .map((n) => `latchkey-prod-us-east-1-${n}`)
        .sort(),
    );
    const [topic] = logicalIds(s.template, 'AWS::SNS::Topic');
    for (const a of alarms) expect(a.AlarmActions).toEqual([{ Ref: topic }]);
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('bootstrap', () => {
  test('first secret keys for prod and dev go to a secret, after the migrations', () => {
    const [[, task]] = ofType('Custom::LatchkeyBootstrapKeys');
    const [secret] = logicalIds(s.template, 'AWS::SecretsManager::Secret', { Description: Match.stringLikeRegexp('first secret key') });
    expect(task.Properties).toMatchObject({ SecretArn: { Ref: secret }, Environments: ['prod', 'dev'] });
    const [migrations] = ofType('Custom::LatchkeyMigrations').map(([id]) => id);
    expect(task.DependsOn).toContain(migrations);
  });

  test('outputs: API URL, WebSocket URL, Connect UI URL, the four egress IPs and their allocation ids, the keys’ secret, dashboard, cluster, alarm topic, keys, break-glass role, log groups', () => {
    const outputs = Object.keys(s.template.toJSON().Outputs).sort();
    expect(outputs).toEqual(
      [
        'ApiUrl',
        'WebSocketUrl',
        'ConnectUiUrl',
        'EgressIp1',
        'EgressIp2',
        'EgressIp3',
        'EgressIp4',
        'EgressAllocationId1',
        'EgressAllocationId2',
        'EgressAllocationId3',
        'EgressAllocationId4',
        'SecretKeysSecretArn',
        'DashboardUrl',
        'DatabaseClusterId',
        'AlarmTopicArn',
        'EnvelopeKeyArn',
        'StorageKeyArn',
        'BreakGlassRoleArn',
        'ApiAccessLogGroup',
        ...[...FUNCTIONS, ...DEPLOY_FUNCTIONS].map((f) => `${f.name[0].toUpperCase()}${f.name.slice(1)}LogGroup`),
      ].sort(),
    );
  });
});
