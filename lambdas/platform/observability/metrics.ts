import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch metrics as embedded-metric-format log lines: no API call, no added latency. */
export const metrics = new Metrics({ namespace: 'Latchkey', serviceName: 'latchkey' });

/**
 * Publishes one count at once, as its own log line: for code shared by functions that do not flush
 * `metrics` at the end of each invocation (the REST functions), e.g. a credential refresh on read.
 */
export function publishCount(name: string, value = 1): void {
  metrics.singleMetric().addMetric(name, MetricUnit.Count, value);
}
