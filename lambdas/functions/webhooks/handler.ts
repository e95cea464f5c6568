import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { METRIC_NAMES } from '../../../lib/topology';
import { systemClock } from '../../platform/clock';
import { platformHandles } from '../../platform/handles';
import { logger } from '../../platform/observability/logger';
import { metrics } from '../../platform/observability/metrics';
import { runInRequestScope } from '../../platform/observability/request-scope';
import { runDeliveries } from '../../webhooks/deliverer';

/**
 * Entry point of the `webhooks` function (lib/topology.ts). Two triggers:
 * - the bus (EVENT_RULES): an outbox event was published — deliver that event now;
 * - the `webhooks-redrive` schedule: deliver what is due (retries, and outbox rows whose publish
 *   failed), "as of" the schedule's `scheduledTime`.
 * Delivery failures are recorded, not thrown: throwing would only make EventBridge re-invoke.
 */
const BusEvent = z.object({
  'detail-type': z.string(),
  source: z.string(),
  detail: z.object({ outbox_id: z.uuid(), environment_id: z.uuid() }),
});
const RedriveEvent = z.object({ redrive: z.literal(true), scheduledTime: z.iso.datetime({ offset: true }).optional() });

/** The function's composition root: its database and cipher, built on first use. */
const handles = platformHandles();

/** Room left in the function's timeout for the last batch (10 s per request) and the record statement. */
const SAFETY_MARGIN_MS = 45_000;

export const handler = middy(async (rawEvent: unknown, context: { getRemainingTimeInMillis(): number }) => {
  const bus = BusEvent.safeParse(rawEvent);
  const redrive = bus.success ? undefined : RedriveEvent.parse(rawEvent);
  const now = redrive?.scheduledTime ? new Date(redrive.scheduledTime) : systemClock();
  const deadline = Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  return runInRequestScope(async () => {
    const totals = await runDeliveries(handles.db, handles.cipher, { now, deadline, outboxId: bus.success ? bus.data.detail.outbox_id : undefined });
    metrics.addMetric(METRIC_NAMES.webhookDelivered, MetricUnit.Count, totals.delivered);
    metrics.addMetric(METRIC_NAMES.webhookFailed, MetricUnit.Count, totals.failed);
    // A bus run that just delivered its event is the common case: metrics count it; log the rest.
    const quiet = bus.success && totals.retrying + totals.failed + totals.deferred === 0;
    logger[quiet ? 'debug' : 'info']('webhooks run finished', { trigger: bus.success ? 'event' : 'redrive', asOf: now.toISOString(), eventId: bus.success ? bus.data.detail.outbox_id : undefined, ...totals });
    return { asOf: now.toISOString(), ...totals };
  });
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
