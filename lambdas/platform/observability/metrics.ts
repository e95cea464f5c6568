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

/**
 * One count with properties that are not dimensions (a connection id would make a metric per
 * connection): CloudWatch keeps them in the log line, where Logs Insights groups by them.
 */
export function publishCountWith(name: string, properties: Record<string, string | number | boolean | null>): void {
  const single = metrics.singleMetric();
  for (const [key, value] of Object.entries(properties)) single.addMetadata(key, String(value));
  single.addMetric(name, MetricUnit.Count, 1);
}
