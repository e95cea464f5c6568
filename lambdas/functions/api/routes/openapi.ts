import * as z from 'zod';
import { buildOpenApi, type OpenApiOptions } from '../../../http/openapi';
import { defineRoute, type AnyRoute } from '../../../http/route';

/** `GET /openapi.json`: the API described by the very route definitions that serve it. */
export function openApiRoute(routes: readonly AnyRoute[], options: OpenApiOptions = {}) {
  let document: string | undefined;
  const route: AnyRoute = defineRoute({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    tag: 'Meta',
    auth: 'none',
    responses: {
      200: {
        description: 'OpenAPI 3.1 document',
        schema: z.object({
          openapi: z.literal('3.1.0'),
          info: z.object({ title: z.string(), version: z.string() }),
          components: z.record(z.string(), z.unknown()),
          paths: z.record(z.string(), z.record(z.string(), z.unknown())),
        }),
      },
    },
    handle: async () => {
      document ??= JSON.stringify(buildOpenApi([...routes, route], { title: 'Latchkey API (Nango-compatible)', version: '0.1.0' }, options));
      return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }, body: document };
    },
  });
  return route;
}
