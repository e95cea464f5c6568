import type { AnyRoute } from '../../../http/route';

export const PROVIDER_ROUTES: AnyRoute[] = [];
