import { CustomResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { LatchkeyFunction } from './latchkey-function';

export interface DeployTaskProps {
  fn: LatchkeyFunction;
  /** `Custom::Latchkey…` */
  resourceType: string;
  /** CloudFormation calls the function again whenever one of these changes; no secrets here, they are logged. */
  properties: Record<string, unknown>;
  logRetention: RetentionDays;
}

/** A function CloudFormation runs during a deploy, through the custom-resource provider framework. */
export class DeployTask extends Construct {
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: DeployTaskProps) {
    super(scope, id);
    const provider = new Provider(this, 'Provider', {
      onEventHandler: props.fn,
      logGroup: new LogGroup(this, 'ProviderLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: props.resourceType,
      properties: props.properties,
    });
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's provider framework function logs with AWS's basic execution policy; it only relays to our function.",
      },
      {
        id: props.fn.anyVersionNagFinding,
        reason: 'The provider framework may invoke any version of our one function (its ARN with a version suffix).',
      },
      { id: 'AwsSolutions-L1', reason: "CDK picks the provider framework's runtime per Region; it runs only CDK's relay code, during deploys." },
    );
  }
}
