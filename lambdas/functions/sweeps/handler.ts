import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { systemClock } from '../../clock';
import { database } from '../../config';
import { logger } from '../../observability/logger';
import { metrics } from '../../observability/metrics';
import { currentRequestScope, runInRequestScope } from '../../observability/request-scope';
import { DEFAULT_AUDIT_RETENTION_DAYS, sweepAuditRetention } from '../../sweeps/audit-retention';
import type { SweepBudget } from '../../sweeps/batched-delete';
import { sweepExpiredSessions } from '../../sweeps/expired-sessions';
import { logAuditEvent } from '../../audit/audit-log';
import type { DataApi } from '../../db/data-api';

/**
 * The event a schedule sends (lib/topology.ts SCHEDULES). `scheduledTime` is EventBridge
 * Scheduler's `<aws.scheduler.scheduled-time>`, so a retried or replayed run sweeps "as of" the
 * time it was meant for.
 */
/** Each sweep is a function of "now"; their names are the `sweep` values of the schedules. */
const SWEEPS: Record<string, (db: DataApi, now: Date, budget: SweepBudget) => Promise<Record<string, number>>> = {
  'expired-sessions': sweepExpiredSessions,
  'audit-retention': (db, now, budget) => sweepAuditRetention(db, now, Number(process.env.LATCHKEY_AUDIT_RETENTION_DAYS ?? DEFAULT_AUDIT_RETENTION_DAYS), budget),
};

const SweepEvent = z.object({
  sweep: z.enum(Object.keys(SWEEPS) as [string, ...string[]]),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
});

const BATCH_SIZE = 500;
/** Leave a margin inside the function's timeout for the last batch and the metrics flush. */
const SAFETY_MARGIN_MS = 20_000;

export const handler = middy(async (rawEvent: unknown, context: { getRemainingTimeInMillis(): number }) => {
  const event = SweepEvent.parse(rawEvent);
  const now = event.scheduledTime ? new Date(event.scheduledTime) : systemClock();
  const budget = { batchSize: BATCH_SIZE, deadline: Date.now() + Math.max(1_000, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS) };
  return runInRequestScope(async () => {
    const result = await SWEEPS[event.sweep](database(), now, budget);
    currentRequestScope()?.auditEvents.forEach(logAuditEvent);
    for (const [name, count] of Object.entries(result)) metrics.addMetric(name, MetricUnit.Count, count);
    logger.info('sweep finished', { sweep: event.sweep, asOf: now.toISOString(), ...result });
    return { sweep: event.sweep, asOf: now.toISOString(), ...result };
  });
})
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics));
