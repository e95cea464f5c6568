import { Fn, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLog,
  FlowLogDestination,
  FlowLogResourceType,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type IConnectable,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  NatProvider,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

export interface NetworkProps {
  stage: string;
  availabilityZones: readonly string[];
  /** NAT gateways, in the first AZs: 4 (one per AZ, production) or 1 (nonproduction). */
  natGateways: number;
  /** One per NAT gateway; when absent the stack allocates (and retains) its own Elastic IPs. */
  eipAllocationIds?: readonly string[];
  cidr: string;
  /** Interface endpoints for the AWS APIs the functions call (a cost trade-off: README). */
  interfaceEndpoints: boolean;
  logRetention: RetentionDays;
}

/** AWS APIs the functions call; with endpoints on, these calls stay inside the VPC. */
export const INTERFACE_ENDPOINTS = {
  Kms: InterfaceVpcEndpointAwsService.KMS,
  RdsData: InterfaceVpcEndpointAwsService.RDS_DATA,
  EventBridge: InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  // Also what the database credentials' rotation function calls (admitted by admitToEndpoints).
  SecretsManager: InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
} as const;

/** Construct id of the singleton function behind every AwsCustomResource of a stack (fixed by CDK). */
const AWS_CUSTOM_RESOURCE_RUNNER = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * The VPC: public, private-with-egress and isolated subnets in each of four AZs; one NAT gateway
 * per AZ (production profile) or one in the first AZ (nonproduction), each with its own Elastic
 * IP, so everything the functions send to the internet leaves from fixed addresses customers can
 * allowlist. The database lives in the isolated subnets.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  /** Security group of every function: no inbound rules, all outbound. */
  readonly functionsSecurityGroup: SecurityGroup;
  /** The egress IPs, one per NAT gateway (tokens resolved at deploy time). */
  readonly egressIps: string[];
  readonly eipAllocationIds: string[];
  /** Security group of the interface endpoints, when they are on. */
  readonly endpointsSecurityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const azs = [...props.availabilityZones];
    const allocation = props.eipAllocationIds
      ? { ids: [...props.eipAllocationIds], ips: this.lookUpPublicIps([...props.eipAllocationIds], props.logRetention) }
      : this.allocateEips(props.stage, azs.slice(0, props.natGateways));

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(props.cidr),
      // Named explicitly: an env-agnostic stack would otherwise get only two AZs, and two NATs.
      availabilityZones: azs,
      natGateways: props.natGateways,
      natGatewayProvider: NatProvider.gateway({ eipAllocationIds: allocation.ids }),
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'isolated', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      restrictDefaultSecurityGroup: true,
    });
    this.egressIps = allocation.ips;
    this.eipAllocationIds = allocation.ids;

    new FlowLog(this, 'FlowLog', {
      resourceType: FlowLogResourceType.fromVpc(this.vpc),
      destination: FlowLogDestination.toCloudWatchLogs(
        new LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY }),
      ),
      trafficType: FlowLogTrafficType.ALL,
    });

    // Free, so always on: S3 traffic never pays NAT data processing.
    this.vpc.addGatewayEndpoint('S3', { service: GatewayVpcEndpointAwsService.S3, subnets: [{ subnetType: SubnetType.PRIVATE_WITH_EGRESS }] });
    this.functionsSecurityGroup = new SecurityGroup(this, 'Functions', {
      vpc: this.vpc,
      description: 'Latchkey functions: no inbound; outbound to AWS APIs and provider/webhook endpoints',
      allowAllOutbound: true,
    });

    if (props.interfaceEndpoints) {
      // Reachable on 443 from the functions only, not from the whole VPC.
      const endpoints = (this.endpointsSecurityGroup = new SecurityGroup(this, 'Endpoints', { vpc: this.vpc, description: 'Interface endpoints: HTTPS from Latchkey functions', allowAllOutbound: false }));
      endpoints.addIngressRule(this.functionsSecurityGroup, Port.tcp(443), 'HTTPS from Latchkey functions');
      for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
        this.vpc.addInterfaceEndpoint(name, {
          service,
          subnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
          privateDnsEnabled: true,
          open: false,
          securityGroups: [endpoints],
        });
      }
    }
  }

  /**
   * Our own Elastic IPs, retained when the stack is deleted: customers have allowlisted them, so
   * a replacement stack can take them back through `latchkey:eipAllocationIds`.
   */
  private allocateEips(stage: string, azs: string[]): { ids: string[]; ips: string[] } {
    const eips = azs.map((az, i) => {
      const eip = new CfnEIP(this, `Eip${i + 1}`, { domain: 'vpc' });
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      Tags.of(eip).add('Name', `latchkey-${stage}-egress-${az}`);
      return eip;
    });
    return { ids: eips.map((e) => e.attrAllocationId), ips: eips.map((e) => e.attrPublicIp) };
  }

  /** The public addresses of pre-allocated Elastic IPs, read once per deploy with DescribeAddresses. */
  private lookUpPublicIps(allocationIds: string[], logRetention: RetentionDays): string[] {
    const call = {
      service: 'EC2',
      action: 'describeAddresses',
      parameters: { AllocationIds: allocationIds },
      physicalResourceId: PhysicalResourceId.of(allocationIds.join(',')),
      outputPaths: allocationIds.map((_, i) => `Addresses.${i}.PublicIp`),
    };
    const lookup = new AwsCustomResource(this, 'EgressIpLookup', {
      onCreate: call,
      onUpdate: call,
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
      logGroup: new LogGroup(this, 'EgressIpLookupLogs', { retention: logRetention, removalPolicy: RemovalPolicy.DESTROY }),
    });
    Validations.of(lookup).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ec2:DescribeAddresses supports no resource-level permissions; it is read-only.',
    });
    // CDK runs every AwsCustomResource of a stack through one function at the stack's root.
    const runner = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_RUNNER);
    if (runner) {
      Validations.of(runner).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "CDK's AwsCustomResource function logs with AWS's basic execution policy; it makes one read-only EC2 call per deploy.",
      });
    }
    return allocationIds.map((_, i) => lookup.getResponseField(`Addresses.${i}.PublicIp`));
  }

  /** Lets `other` (e.g. the credentials' rotation function) reach the interface endpoints, when there are any. */
  admitToEndpoints(other: IConnectable, description: string): void {
    this.endpointsSecurityGroup?.connections.allowFrom(other, Port.tcp(443), description);
  }

  /** The egress IPs as one comma-separated value (`LATCHKEY_EGRESS_IPS`). */
  egressIpList(): string {
    return Fn.join(',', this.egressIps);
  }
}
