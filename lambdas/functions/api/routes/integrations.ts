import type { AnyRoute } from '../../../http/route';

export const INTEGRATION_ROUTES: AnyRoute[] = [];
