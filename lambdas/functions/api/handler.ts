import { apiHandler } from '../../http/api-handler';
import { requestServices } from '../../http/request-services';
import { API_ROUTES } from './routes';

/** Entry point of the `api` function (lib/topology.ts). */
export const handler = apiHandler(API_ROUTES, { services: requestServices() });
