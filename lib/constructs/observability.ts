import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { DatabaseCluster } from 'aws-cdk-lib/aws-rds';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Api } from './api';
import type { LatchkeyFunction } from './latchkey-function';
import { METRIC_NAMES } from '../topology';

export interface ObservabilityProps {
  stage: string;
  api: Api;
  functions: readonly LatchkeyFunction[];
  cluster: DatabaseCluster;
  deadLetterQueues: readonly { name: string; queue: IQueue }[];
  scheduleGroup: ScheduleGroup;
  /** Per schedule, the counts its sweep publishes. */
  sweepMetrics: readonly { schedule: string; metrics: readonly string[] }[];
  alarmEmail?: string;
}

/** Namespace and dimension of the functions' Powertools metrics (lambdas/observability/metrics.ts). */
export const METRICS_NAMESPACE = 'Latchkey';
const SERVICE_DIMENSION = { service: 'latchkey' };
const PERIOD = Duration.minutes(5);

/**
 * One dashboard and the alarms for a deployment. CloudWatch dashboards are global, so its name
 * carries stage and Region; alarms (regional) carry both too, so two deployments never collide.
 */
export class Observability extends Construct {
  readonly dashboard: Dashboard;
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly prefix: string;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.prefix = `latchkey-${props.stage}-${Stack.of(this).region}`;
    this.alarmTopic = new Topic(this, 'Alarms', { displayName: `Latchkey ${props.stage} alarms`, enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    Validations.of(this.alarmTopic).acknowledge(
      {
        id: 'AwsSolutions-SNS2',
        reason: 'Alarm notifications carry no secrets, and CloudWatch cannot publish to a topic under the AWS-managed SNS key; the vault key stays reserved for secrets.',
      },
    );

    const stage = props.api.restApi.deploymentStage;
    const fns = props.functions;
    const lines = (metric: (fn: LatchkeyFunction) => IMetric) => fns.map(metric);
    const usage = (operation: string) =>
      new Metric({
        namespace: 'AWS/Usage',
        metricName: 'CallCount',
        dimensionsMap: { Service: 'KMS', Type: 'API', Resource: operation, Class: 'None' },
        statistic: 'Sum',
        period: PERIOD,
        label: operation,
      });
    const ours = (metricName: string, label = metricName) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: SERVICE_DIMENSION, statistic: 'Sum', period: PERIOD, label });

    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: this.prefix, defaultInterval: Duration.hours(6) });
    const rows: IWidget[][] = [
      [new TextWidget({ markdown: `# Latchkey ${props.stage}\nAPI, functions, database, KMS, refreshes, webhooks and sweeps.`, width: 24, height: 2 })],
      [
        graph('API requests', [stage.metricCount({ period: PERIOD, statistic: 'Sum' })]),
        graph('API 4xx / 5xx', [stage.metricClientError({ period: PERIOD, statistic: 'Sum' }), stage.metricServerError({ period: PERIOD, statistic: 'Sum' })]),
        graph('API latency p50 / p99 (ms)', [
          stage.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
          stage.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
        ]),
      ],
      [
        graph('Function errors', lines((fn) => fn.metricErrors({ period: PERIOD, label: fn.spec.name }))),
        graph('Function throttles', lines((fn) => fn.metricThrottles({ period: PERIOD, label: fn.spec.name }))),
        graph('Function duration p99 (ms)', lines((fn) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: fn.spec.name }))),
      ],
      [
        graph('Aurora capacity (ACU)', [props.cluster.metricServerlessDatabaseCapacity({ period: PERIOD, statistic: 'Average' })]),
        graph('Aurora ACU utilization (%)', [props.cluster.metricACUUtilization({ period: PERIOD, statistic: 'Average' })]),
        graph('Aurora connections', [props.cluster.metricDatabaseConnections({ period: PERIOD, statistic: 'Average' })]),
      ],
      [
        graph('KMS calls (account, Region)', ['Decrypt', 'GenerateDataKey', 'Encrypt'].map(usage)),
        graph('Credential refreshes', [ours(METRIC_NAMES.refreshSucceeded, 'succeeded'), ours(METRIC_NAMES.refreshFailed, 'failed')]),
        graph('Webhook deliveries', [ours(METRIC_NAMES.webhookDelivered, 'delivered'), ours(METRIC_NAMES.webhookFailed, 'failed')]),
      ],
      [
        graph(
          'Dead-letter queue depth',
          props.deadLetterQueues.map((d) => d.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: d.name })),
        ),
        graph('Sweep counts', props.sweepMetrics.flatMap((s) => s.metrics.map((m) => ours(m, `${s.schedule}: ${m}`)))),
        graph('Schedule target errors', [props.scheduleGroup.metricTargetErrors({ period: PERIOD, statistic: 'Sum' })]),
      ],
    ];
    for (const row of rows) this.dashboard.addWidgets(...row);

    this.alarm('api-5xx', stage.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5, 'The REST API answered 5xx at least 5 times in 5 minutes.');
    for (const fn of fns) {
      // The handlers turn every request error into a response, so Lambda "Errors" are crashes and timeouts.
      this.alarm(`${fn.spec.name}-errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, `Function ${fn.spec.name} crashed or timed out.`);
    }
    for (const d of props.deadLetterQueues) {
      this.alarm(`${d.name}-dlq`, d.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1, `${d.name}: undelivered events are waiting in the dead-letter queue.`);
    }
  }

  private alarm(name: string, metric: IMetric, threshold: number, description: string): void {
    const alarm = new Alarm(this, `${name}-alarm`, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

function graph(title: string, metrics: IMetric[]): GraphWidget {
  return new GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
