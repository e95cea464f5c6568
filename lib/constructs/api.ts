import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  DomainName,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RestApi,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, HostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayDomain } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { Functions } from './functions';
import { Waf } from './waf';
import { WebSocketRelay, type WebSocketRouteLike } from './websocket-relay';
import { BINARY_MEDIA_TYPES, CONNECT_UI_PATH, type RouteSpec } from '../topology';

export interface RouteLike extends Omit<RouteSpec, 'function'> {
  function: string;
}

export interface ApiProps {
  stage: string;
  routes: readonly RouteLike[];
  webSocketRoutes: readonly WebSocketRouteLike[];
  functions: Functions;
  logRetention: RetentionDays;
  rateLimit: number;
  burstLimit: number;
  waf?: { rateLimit: number; maxRequestBodyKb: number };
  domain?: { domainName: string; certificateArn: string; hostedZone?: { id: string; name: string } };
}

/**
 * The public entry points: a regional REST API with exactly the ROUTES of lib/topology.ts (the api,
 * connect and proxy functions), and, once a function serves WEBSOCKET_ROUTES, the WebSocket API
 * of the Connect UI's browser relay. Callers authenticate inside the functions (Nango's secret
 * key, connect-session tokens), so API Gateway adds throttling, logging and, optionally, WAF.
 */
export class Api extends Construct {
  readonly restApi: RestApi;
  readonly webSocket?: WebSocketRelay;
  /** Base URL of the REST API (custom domain when configured), ending in `/`. */
  readonly url: string;
  /** The Connect UI's URL, when a route serves it. */
  readonly connectUiUrl?: string;
  readonly domainName?: DomainName;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const accessLogs = (this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }));
    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `latchkey-${props.stage}`,
      description: `Latchkey ${props.stage}: Nango-compatible REST API`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      // Every body reaches the functions base64-encoded and byte for byte (they decode by
      // isBase64Encoded), and a base64 result goes back as bytes: the proxy passes any content type.
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      // Logging needs API Gateway's account-wide CloudWatch role; kept if the stack goes, since
      // other APIs in the account and Region rely on the same setting.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.rateLimit,
        throttlingBurstLimit: props.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: false,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: false,
        }),
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies carry credentials: never into execution logs.
        dataTraceEnabled: false,
        metricsEnabled: true,
      },
    });

    // The stack reports the URL once, as ApiUrl (the custom domain's when there is one).
    this.restApi.node.tryRemoveChild('Endpoint');

    const integrations = new Map<string, LambdaIntegration>();
    for (const route of props.routes) {
      const integration = integrations.get(route.function) ?? new LambdaIntegration(props.functions.get(route.function), {
        // One permission per function instead of one per method keeps the function policy small.
        scopePermissionToMethod: false,
      });
      integrations.set(route.function, integration);
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, integration);
    }

    if (props.waf) new Waf(this, 'Waf', { stage: props.stage, stageArn: this.restApi.deploymentStage.stageArn, ...props.waf });
    if (props.domain) this.domainName = this.addDomain(props.domain);
    this.url = this.domainName ? `https://${props.domain!.domainName}/` : this.restApi.url;
    if (props.routes.some((r) => r.path === CONNECT_UI_PATH || r.path.startsWith(`${CONNECT_UI_PATH}/`))) {
      this.connectUiUrl = `${this.url}${CONNECT_UI_PATH.slice(1)}`;
    }
    if (props.webSocketRoutes.length) {
      this.webSocket = new WebSocketRelay(this, 'WebSocket', {
        stage: props.stage,
        routes: props.webSocketRoutes,
        functions: props.functions,
        logRetention: props.logRetention,
        rateLimit: props.rateLimit,
        burstLimit: props.burstLimit,
      });
    }

    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason: 'Requests are validated in the functions with zod, so errors keep the Nango error envelope API Gateway validation cannot produce.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason: "Authentication is Nango's secret key (or a connect-session token), checked in the function against a peppered hash; /health is public by design.",
      },
      { id: 'AwsSolutions-COG4', reason: 'No Cognito: callers are machines holding Nango-style secret keys, not user-pool users.' },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: "API Gateway's account-level logging role uses AWS's policy for it, as AWS documents.",
      },
      ...(props.waf ? [] : [{ id: 'AwsSolutions-APIG3', reason: 'WAF is optional (latchkey:waf=true): it costs ~$8/month even idle; see the README.' }]),
    );
  }

  private addDomain(domain: NonNullable<ApiProps['domain']>): DomainName {
    const domainName = new DomainName(this, 'Domain', {
      domainName: domain.domainName,
      certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
      endpointType: EndpointType.REGIONAL,
      securityPolicy: SecurityPolicy.TLS_1_2,
      mapping: this.restApi,
    });
    if (domain.hostedZone) {
      new ARecord(this, 'Alias', {
        zone: HostedZone.fromHostedZoneAttributes(this, 'Zone', { hostedZoneId: domain.hostedZone.id, zoneName: domain.hostedZone.name }),
        recordName: domain.domainName,
        target: RecordTarget.fromAlias(new ApiGatewayDomain(domainName)),
      });
    }
    return domainName;
  }
}
