import { apiHandler } from '../../http/api-handler';
import { getHealth } from './health';

/** Entry point of the `api` function (lib/topology.ts). */
export const handler = apiHandler([
  { method: 'GET', path: '/health', handler: getHealth },
]);
