import type { AnyRoute } from '../../../http/route';

export const CONNECTION_ROUTES: AnyRoute[] = [];
