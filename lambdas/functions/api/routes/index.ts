import type { AnyRoute } from '../../../http/route';
import { AUDIT_ROUTES } from './audit-events';
import { CONNECT_SESSION_ROUTES } from './connect-sessions';
import { CONNECTION_ROUTES } from './connections';
import { getEgressIps } from './egress-ips';
import { ENVIRONMENT_ROUTES } from './environment';
import { getHealth } from './health';
import { INTEGRATION_ROUTES } from './integrations';
import { openApiRoute } from './openapi';
import { PROVIDER_ROUTES } from './providers';
import { WEBHOOK_ROUTES } from './webhooks';
import { RECORD_ROUTES } from './records';
import { ROUTES } from '../../../../lib/topology';
import { CONNECT_ROUTES } from '../../connect/routes';
import { PROXY_ROUTES } from '../../proxy/routes';

/** Every route of the `api` function; the OpenAPI document is generated from this same list. */
export const API_ROUTES: AnyRoute[] = [
  getHealth,
  getEgressIps,
  ...ENVIRONMENT_ROUTES,
  ...PROVIDER_ROUTES,
  ...INTEGRATION_ROUTES,
  ...CONNECT_SESSION_ROUTES,
  ...CONNECTION_ROUTES,
  ...AUDIT_ROUTES,
  ...WEBHOOK_ROUTES,
  ...RECORD_ROUTES,
];
// The document describes the whole REST API: the connect and proxy functions' routes and the preflights too.
const preflightPaths = ROUTES.filter((r) => r.method === 'OPTIONS').map((r) => r.path);
API_ROUTES.push(openApiRoute([...API_ROUTES, ...CONNECT_ROUTES, ...PROXY_ROUTES], { preflightPaths }));
