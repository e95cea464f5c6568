import { Match } from 'aws-cdk-lib/assertions';
import { TOPOLOGY, type Topology } from '../../lib/latchkey';
import { EVENT_SOURCE } from '../../lib/topology';
import { synthesize, type Synthesized } from './support/synth';

/**
 * The topology plus a `$default` WebSocket route the design may add, described only in the
 * topology: the stack must grow the relay, the outputs and the alarms from that data alone. The
 * Connect UI routes, `webhooks` (with its event rule and re-drive schedule) and `connect` are the
 * real ones from lib/topology.ts.
 */
const FUTURE: Topology = {
  ...TOPOLOGY,
  webSocketRoutes: [
    { routeKey: '$connect', function: 'connect' },
    { routeKey: '$disconnect', function: 'connect' },
    { routeKey: '$default', function: 'connect' },
  ],
};

let s: Synthesized;
let resources: Synthesized['resources'];
beforeAll(() => {
  s = synthesize({}, FUTURE);
  resources = s.resources;
});
const ofType = (type: string) => s.ofType(type);
const fnId = (name: string) => ofType('AWS::Lambda::Function').find(([id]) => new RegExp(`^LatchkeyFunctions${name}[0-9A-F]{8}$`).test(id))![0];

test('cdk-nag: no unacknowledged finding; CDK: no warning', () => {
  expect(s.nagViolations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual([]);
  expect(s.cdkWarnings).toEqual([]);
});

test('every topology function is deployed, and nothing else but the deploy-time tasks and CDK helpers', () => {
  const ours = ofType('AWS::Lambda::Function').filter(([id]) => /^Latchkey(Deploy)?Functions/.test(id));
  expect(ours).toHaveLength(FUTURE.functions.length + FUTURE.deployFunctions.length);
  s.template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: resources[fnId('Webhooks')].Properties!.Role['Fn::GetAtt'][0] }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Condition: { StringEquals: { 'kms:EncryptionContext:purpose': ['environment-secret'] } } })]) },
  });
});

test('a WebSocket API with the relay routes to connect, throttled and access-logged, its URL an output', () => {
  s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'WEBSOCKET', Name: 'latchkey-prod-relay' });
  const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties!.RouteKey).sort();
  expect(routes).toEqual(['$connect', '$default', '$disconnect']);
  s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
    StageName: 'prod',
    AutoDeploy: true,
    DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
  });
  expect(Object.keys(s.template.findOutputs('*'))).toEqual(expect.arrayContaining(['WebSocketUrl', 'ConnectUiUrl']));
});

test('connect may post to relay connections and knows where', () => {
  const connect = resources[fnId('Connect')].Properties!;
  expect(connect.Environment.Variables.LATCHKEY_WEBSOCKET_CALLBACK_URL).toBeDefined();
  s.template.hasResourceProperties('AWS::IAM::Policy', {
    Roles: [{ Ref: connect.Role['Fn::GetAtt'][0] }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'execute-api:ManageConnections' })]) },
  });
});

test('the Connect UI route is served by connect and its URL is an output', () => {
  expect(JSON.stringify(s.template.findOutputs('ConnectUiUrl').ConnectUiUrl.Value)).toContain('connect');
});

test('an event rule on our bus, for our events only, to webhooks with retries and a dead-letter queue', () => {
  const [bus] = ofType('AWS::Events::EventBus').map(([id]) => id);
  const [rule] = ofType('AWS::Events::Rule').map(([, r]) => r.Properties!);
  expect(rule.EventBusName).toEqual({ Ref: bus });
  expect(rule.EventPattern).toEqual({ 'detail-type': ['auth', 'connection.deleted'], source: [EVENT_SOURCE] });
  expect(rule.Targets).toEqual([
    expect.objectContaining({
      Arn: { 'Fn::GetAtt': [fnId('Webhooks'), 'Arn'] },
      RetryPolicy: { MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 21_600 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [expect.stringMatching(/EventsDeadLetterQueue/), 'Arn'] } },
    }),
  ]);
  // Failures inside the function (async invoke) end up in the same queue.
  s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
    FunctionName: { Ref: fnId('Webhooks') },
    MaximumRetryAttempts: 2,
    DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('EventsDeadLetterQueue'), 'Arn'] } } },
  });
});

test('the dashboard and alarms cover the new functions and the events dead-letter queue', () => {
  const names = ofType('AWS::CloudWatch::Alarm').map(([, r]) => r.Properties!.AlarmName);
  expect(names).toEqual(expect.arrayContaining(['connect-errors', 'webhooks-errors', 'events-dlq', 'schedules-dlq'].map((n) => `latchkey-prod-us-east-1-${n}`)));
  s.template.resourceCountIs('AWS::Scheduler::Schedule', FUTURE.schedules.length);
});
