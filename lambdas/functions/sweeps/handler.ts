import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { systemClock } from '../../platform/clock';
import { platformHandles } from '../../platform/handles';
import { logger } from '../../platform/observability/logger';
import { metrics } from '../../platform/observability/metrics';
import { runAfterRequest, runInRequestScope } from '../../platform/observability/request-scope';
import { SWEEPS, SWEEP_NAMES } from '../../sweeps/registry';

/**
 * The event a schedule sends (lib/topology.ts SCHEDULES). `scheduledTime` is EventBridge
 * Scheduler's `<aws.scheduler.scheduled-time>`, so a retried or replayed run sweeps "as of" the
 * time it was meant for.
 */
const SweepEvent = z.object({
  sweep: z.enum(SWEEP_NAMES),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});

/** The function's composition root: its database and cipher, built on first use. */
const handles = platformHandles();

const BATCH_SIZE = 500;
/** Leave a margin inside the function's timeout for the last batch and the metrics flush. */
const SAFETY_MARGIN_MS = 20_000;

export const handler = middy(async (rawEvent: unknown, context: { getRemainingTimeInMillis(): number }) => {
  const event = SweepEvent.parse(rawEvent);
  const now = event.scheduledTime ? new Date(event.scheduledTime) : systemClock();
  const budget = { batchSize: BATCH_SIZE, deadline: Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS) };
  return runInRequestScope(async () => {
    const result = await SWEEPS[event.sweep](handles.db, now, budget, handles.cipher);
    // Webhook events a sweep wrote (e.g. refresh failures) go to the bus now; the re-drive covers a failure.
    await runAfterRequest();
    for (const [name, count] of Object.entries(result)) metrics.addMetric(name, MetricUnit.Count, count);
    logger.info('sweep finished', { sweep: event.sweep, asOf: now.toISOString(), ...result });
    return { sweep: event.sweep, asOf: now.toISOString(), ...result };
  });
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
