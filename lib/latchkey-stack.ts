import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { toId } from './constructs/functions';
import { Latchkey, type Topology } from './latchkey';
import type { LatchkeySettingsInput } from './settings';

export interface LatchkeyStackProps extends StackProps {
  settings: LatchkeySettingsInput;
  topology?: Topology;
}

/** The deployment unit: one `Latchkey` and the outputs a deployer needs. */
export class LatchkeyStack extends Stack {
  readonly latchkey: Latchkey;

  constructor(scope: Construct, id: string, props: LatchkeyStackProps) {
    super(scope, id, props);
    const latchkey = (this.latchkey = new Latchkey(this, 'Latchkey', { settings: props.settings, topology: props.topology }));
    const region = this.region;

    new CfnOutput(this, 'ApiUrl', { value: latchkey.api.url, description: 'Base URL of the REST API (Nango SDK `host`)' });
    if (latchkey.api.webSocket) {
      new CfnOutput(this, 'WebSocketUrl', {
        value: latchkey.api.webSocket.stage.url,
        description: "The frontend SDK's websocketsPath: new Nango({ host: ApiUrl, websocketsPath: WebSocketUrl, connectSessionToken })",
      });
    }
    if (latchkey.api.connectUiUrl) new CfnOutput(this, 'ConnectUiUrl', { value: latchkey.api.connectUiUrl, description: 'Hosted Connect UI' });
    if (latchkey.api.domainName) {
      new CfnOutput(this, 'ApiDomainTarget', {
        value: latchkey.api.domainName.domainNameAliasDomainName,
        description: 'Point the custom domain here (CNAME or alias) unless a hosted zone was given',
      });
    }
    latchkey.network.egressIps.forEach((ip, i) => new CfnOutput(this, `EgressIp${i + 1}`, { value: ip, description: 'Outbound calls leave from this address' }));
    latchkey.network.eipAllocationIds.forEach(
      (id, i) => new CfnOutput(this, `EgressAllocationId${i + 1}`, { value: id, description: 'Pass as latchkey:eipAllocationIds to keep the IPs in a new stack' }),
    );
    new CfnOutput(this, 'SecretKeysSecretArn', {
      value: latchkey.bootstrapKeys.secret.secretArn,
      description: 'First secret keys: aws secretsmanager get-secret-value --query SecretString --output text --secret-id <this>',
    });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${latchkey.observability.dashboard.dashboardName}`,
    });
    new CfnOutput(this, 'DatabaseClusterId', {
      value: latchkey.database.cluster.clusterIdentifier,
      description: 'Turn off its deletion protection before cdk destroy (README)',
    });
    new CfnOutput(this, 'EnvelopeKeyArn', { value: latchkey.keys.envelopeKey.keyArn, description: 'Wraps stored secrets (alias/latchkey-<stage>); kept when the stack is deleted' });
    new CfnOutput(this, 'StorageKeyArn', { value: latchkey.keys.storageKey.keyArn, description: 'Encrypts the database and its snapshots (alias/latchkey-<stage>-storage); kept when the stack is deleted' });
    new CfnOutput(this, 'BreakGlassRoleArn', { value: latchkey.keys.breakGlassRole.roleArn, description: 'May decrypt stored secrets; assume with MFA for incident recovery only (runbook)' });
    // Where to look first in an incident (aws logs tail <name>).
    new CfnOutput(this, 'ApiAccessLogGroup', { value: latchkey.api.accessLogs.logGroupName, description: 'REST API access log (JSON)' });
    for (const fn of [...latchkey.functions.all(), ...latchkey.deployFunctions.all()]) {
      new CfnOutput(this, `${toId(fn.spec.name)}LogGroup`, { value: fn.logGroup.logGroupName, description: `Log group of the ${fn.spec.name} function` });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: latchkey.observability.alarmTopic.topicArn, description: 'Subscribe to be told about alarms' });
  }
}
