import { apiHandler } from '../../http/api-handler';
import { requestServices } from '../../http/request-services';
import { CONNECT_ROUTES } from './routes';

/** Entry point of the `connect` function (lib/topology.ts): the end user's connect flows. */
export const handler = apiHandler(CONNECT_ROUTES, { services: requestServices() });
