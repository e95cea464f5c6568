import * as z from 'zod';
import { checkHealth } from '../../../health/health-check';
import { ApiError, jsonResult } from '../../../http/errors';
import { defineRoute } from '../../../http/route';
import { logger } from '../../../platform/observability/logger';

/** `GET /health`, unauthenticated: load balancers and uptime checks call it, so it says little. */
export const getHealth = defineRoute({
  method: 'GET',
  path: '/health',
  summary: 'Liveness through the whole path to the database',
  tag: 'Meta',
  auth: 'none',
  responses: {
    200: {
      description: 'Healthy',
      schema: z.object({ status: z.literal('ok'), database: z.object({ reachable: z.literal(true), schemaVersion: z.number(), latencyMs: z.number() }) }),
    },
    503: { description: 'The database is not reachable' },
  },
  handle: async ({ db }) => {
    try {
      return jsonResult(200, await checkHealth(db), { 'cache-control': 'no-store' });
    } catch (err) {
      logger.error('Health check failed', { error: err as Error });
      throw new ApiError(503, 'database_unavailable', 'The database is not reachable.');
    }
  },
});
