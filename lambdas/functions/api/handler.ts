import { apiHandler } from '../../http/api-handler';
import { getEgressIps } from './egress-ips';
import { getHealth } from './health';

/** Entry point of the `api` function (lib/topology.ts). */
export const handler = apiHandler([
  { method: 'GET', path: '/health', handler: getHealth },
  { method: 'GET', path: '/meta/egress-ips', handler: getEgressIps },
]);
