import type { AnyRoute } from '../../../http/route';

export const CONNECT_SESSION_ROUTES: AnyRoute[] = [];
