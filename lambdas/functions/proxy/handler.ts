import { apiHandler } from '../../http/api-handler';
import { requestServices } from '../../http/request-services';
import { PROXY_MAX_REQUEST_BYTES } from '../../proxy/proxy-limits';
import { PROXY_ROUTES } from './routes';

/** Entry point of the `proxy` function (lib/topology.ts). */
export const handler = apiHandler(PROXY_ROUTES, { services: requestServices(), maxBodyBytes: PROXY_MAX_REQUEST_BYTES });
