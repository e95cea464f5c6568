import { Duration, Stack, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { FilterPattern, MetricFilter, type ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { DatabaseCluster, DatabaseClusterFromSnapshot } from 'aws-cdk-lib/aws-rds';
import type { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Api } from './api';
import type { LatchkeyFunction } from './latchkey-function';
import { METRIC_NAMES } from '../topology';

type IClusterMetrics = DatabaseCluster | DatabaseClusterFromSnapshot;

export interface ObservabilityProps {
  /** The REST stage's access log (JSON, with `status`): 429s are counted from it. */
  accessLogs: ILogGroup;
  stage: string;
  api: Api;
  functions: readonly LatchkeyFunction[];
  cluster: IClusterMetrics;
  /** The cluster's maximum ACUs: capacity pinned there means the database is the bottleneck. */
  maxCapacity: number;
  deadLetterQueues: readonly { name: string; queue: IQueue }[];
  scheduleGroup: ScheduleGroup;
  /** Per schedule, the counts its sweep publishes. */
  sweepMetrics: readonly { schedule: string; metrics: readonly string[] }[];
  alarmEmail?: string;
}

/** Namespace and dimension of the functions' Powertools metrics (lambdas/platform/observability/metrics.ts). */
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
    const proxy = fns.find((fn) => fn.spec.name === 'proxy');
    if (proxy) {
      rows.push([
        graph('Proxied calls', [ours(METRIC_NAMES.proxyCalls, 'calls')]),
        // The connection is a property of each ProxyCalls line, not a dimension (one metric per connection would cost per connection).
        new LogQueryWidget({
          title: 'Proxied calls by connection (top 20)',
          logGroupNames: [proxy.logGroup.logGroupName],
          queryLines: [
            `filter ispresent(${METRIC_NAMES.proxyCalls}) and ispresent(connectionId)`,
            'stats count(*) as calls, sum(status >= 500) as upstream_5xx, sum(retries) as retries, pct(latencyMs, 50) as p50_ms, pct(latencyMs, 99) as p99_ms by providerConfigKey, connectionId',
            'sort calls desc',
            'limit 20',
          ],
          width: 16,
          height: 6,
        }),
      ]);
    }
    for (const row of rows) this.dashboard.addWidgets(...row);

    this.alarm('api-5xx', stage.metricServerError({ period: PERIOD, statistic: 'Sum' }), 5, 'The REST API answered 5xx at least 5 times in 5 minutes.');
    const clientErrorRate = new MathExpression({
      expression: 'IF(requests >= 50, 100 * errors / requests, 0)',
      usingMetrics: { errors: stage.metricClientError({ period: PERIOD, statistic: 'Sum' }), requests: stage.metricCount({ period: PERIOD, statistic: 'Sum' }) },
      period: PERIOD,
      label: '4XX rate (%)',
    });
    this.alarm('api-4xx-rate', clientErrorRate, 25, 'Over a quarter of at least 50 requests answered 4XX for 15 minutes: a client misconfigured, keys revoked, or probing.', 3);
    // API Gateway has no 429 metric of its own: count them in the access log.
    const throttled = new MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: props.accessLogs,
      filterPattern: FilterPattern.literal('{ $.status = "429" }'),
      metricNamespace: METRICS_NAMESPACE,
      metricName: 'ApiThrottled',
      metricValue: '1',
      defaultValue: 0,
    }).metric({ period: PERIOD, statistic: 'Sum' });
    this.alarm('api-429', throttled, 50, 'The REST API answered 429 (stage or per-key rate limit) at least 50 times in 5 minutes: raise apiRateLimit or find the caller.');
    this.alarm('api-latency-p99', stage.metricLatency({ period: PERIOD, statistic: 'p99' }), 5_000, 'p99 latency of the REST API above 5 s for 15 minutes.', 3);
    for (const fn of fns) {
      // The handlers turn every request error into a response, so Lambda "Errors" are crashes and timeouts.
      this.alarm(`${fn.spec.name}-errors`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }), 1, `Function ${fn.spec.name} crashed or timed out.`);
      this.alarm(`${fn.spec.name}-throttles`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }), 1, `Function ${fn.spec.name} was throttled (account concurrency exhausted).`);
    }
    this.alarm(
      'aurora-max-capacity',
      props.cluster.metricServerlessDatabaseCapacity({ period: PERIOD, statistic: 'Minimum' }),
      props.maxCapacity,
      `Aurora stayed at its maximum of ${props.maxCapacity} ACUs for 15 minutes: raise dbMaxCapacity.`,
      3,
    );
    // Secrets Manager reports a failed rotation as an event, not a metric (any secret of this account and Region).
    new Rule(this, 'RotationFailed', {
      description: `Latchkey ${props.stage}: a Secrets Manager rotation failed (the database credentials rotate every 30 days)`,
      eventPattern: { source: ['aws.secretsmanager'], detailType: ['AWS Service Event via CloudTrail'], detail: { eventName: ['RotationFailed'] } },
      targets: [new SnsTopic(this.alarmTopic)],
    });
    for (const d of props.deadLetterQueues) {
      this.alarm(`${d.name}-dlq`, d.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }), 1, `${d.name}: undelivered events are waiting in the dead-letter queue.`);
    }
  }

  private alarm(name: string, metric: IMetric, threshold: number, description: string, evaluationPeriods = 1): void {
    const alarm = new Alarm(this, `${name}-alarm`, {
      alarmName: `${this.prefix}-${name}`,
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods,
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
