import { Metrics } from '@aws-lambda-powertools/metrics';

/** CloudWatch metrics as embedded-metric-format log lines: no API call, no added latency. */
export const metrics = new Metrics({ namespace: 'Latchkey', serviceName: 'latchkey' });
