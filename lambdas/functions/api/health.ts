import type { APIGatewayProxyResult } from 'aws-lambda';
import { database } from '../../config';
import { checkHealth } from '../../health/health-check';
import { ApiError, jsonResult } from '../../http/errors';
import { logger } from '../../observability/logger';

/** `GET /health`, unauthenticated: load balancers and uptime checks call it, so it says little. */
export async function getHealth(): Promise<APIGatewayProxyResult> {
  try {
    return jsonResult(200, await checkHealth(database()), { 'cache-control': 'no-store' });
  } catch (err) {
    logger.error('Health check failed', { error: err as Error });
    throw new ApiError(503, 'database_unavailable', 'The database is not reachable.');
  }
}
