import { CfnElement, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { toId, type Functions } from './functions';
import type { WebSocketRouteSpec } from '../topology';

export interface WebSocketRouteLike extends Omit<WebSocketRouteSpec, 'function'> {
  function: string;
}

export interface WebSocketRelayProps {
  stage: string;
  routes: readonly WebSocketRouteLike[];
  functions: Functions;
  logRetention: RetentionDays;
  rateLimit: number;
  burstLimit: number;
}

/**
 * The frontend SDK's browser relay: a WebSocket API whose routes (WEBSOCKET_ROUTES) go to the
 * functions that serve them. Those functions may post back to connections (the callback endpoint
 * is in `LATCHKEY_WEBSOCKET_CALLBACK_URL`) and invoke themselves asynchronously ($connect queues
 * the ack that way: the socket opens only after $connect returns). Every function learns the
 * socket's public URL in `LATCHKEY_WEBSOCKET_URL` (GET /connect/session's `websocketsPath`).
 * A custom domain cannot carry both this API and the REST API (docs/browser-relay.md).
 */
export class WebSocketRelay extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;

  constructor(scope: Construct, id: string, props: WebSocketRelayProps) {
    super(scope, id);
    this.api = new WebSocketApi(this, 'Api', { apiName: `latchkey-${props.stage}-relay`, description: `Latchkey ${props.stage}: Connect UI browser relay` });
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: props.stage,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs) },
    });
    const served = new Set<string>();
    for (const route of props.routes) {
      const fn = props.functions.get(route.function);
      this.api.addRoute(route.routeKey, { integration: new WebSocketLambdaIntegration(`${toId(route.routeKey.replace('$', ''))}Integration`, fn) });
      if (served.has(route.function)) continue;
      this.api.grantManageConnections(fn);
      fn.addEnvironment('LATCHKEY_WEBSOCKET_CALLBACK_URL', this.stage.callbackUrl);
      // A policy of its own, not the role's default one: the function depends on that, and this names the function.
      new Policy(this, `${toId(route.function)}SelfInvoke`, {
        roles: [fn.role!],
        statements: [new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] })],
      });
      served.add(route.function);
    }
    for (const fn of props.functions.all()) fn.addEnvironment('LATCHKEY_WEBSOCKET_URL', this.stage.url);
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'The frontend SDK opens its socket with no credentials (it cannot send any). A socket only gets a random ws_client_id and the outcome of flows that name it, bound to the first connect session that does.',
    });
    for (const name of served) {
      Validations.of(props.functions.get(name)).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${this.connectionsArnAsNagSeesIt()}]`,
        reason: 'Posting to a browser connection needs its id, which exists only at run time: @connections/* of this one API.',
      });
    }
  }

  /** The ARN `grantManageConnections` writes, in the notation cdk-nag reports it with. */
  private connectionsArnAsNagSeesIt(): string {
    const stack = Stack.of(this);
    const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    const apiId = stack.getLogicalId(this.api.node.defaultChild as CfnElement);
    return `arn:${literal(stack.partition, 'Partition')}:execute-api:${literal(stack.region, 'Region')}:${literal(stack.account, 'AccountId')}:<${apiId}>/*/*/@connections/*`;
  }
}
