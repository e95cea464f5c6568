import type * as z from 'zod';
import { CONNECT_ROUTES } from '../../lambdas/functions/connect/routes';
import { API_ROUTES } from '../../lambdas/functions/api/routes';
import { PROXY_ROUTES } from '../../lambdas/functions/proxy/routes';
import { declaredResponses, ERROR_ENVELOPE } from '../../lambdas/http/openapi';
import type { AnyRoute } from '../../lambdas/http/route';
import type { FunctionResponse } from '../../local/api-gateway';

/**
 * Checks the functions' real answers against what their routes declare (the same declarations
 * `/openapi.json` is built from): the status must be declared, and a JSON body must parse with the
 * declared schema without any field the schema does not name. `startTestStack` runs every answer
 * of every test through it, so the document cannot drift from the wire unnoticed.
 */

const ROUTES_BY_FUNCTION: Record<string, readonly AnyRoute[]> = { api: API_ROUTES, connect: CONNECT_ROUTES, proxy: PROXY_ROUTES };

/** `GET /connections/{connectionId}`: how routes are named in reports and coverage. */
export const routeName = (route: AnyRoute): string => `${route.method} ${route.path}`;

export interface CheckedResponse {
  route: string;
  status: number;
}

export class DeclaredResponseCheck {
  readonly checked: CheckedResponse[] = [];
  readonly problems: string[] = [];

  /** For LocalStackOptions.onFunctionResponse. */
  readonly observe = (response: FunctionResponse): void => {
    const problem = this.check(response);
    if (problem) this.problems.push(`${response.method} ${response.path} → ${response.status}: ${problem}`);
  };

  /** Routes whose main success answer (the lowest declared status below 400) was checked. */
  successesSeen(): Set<string> {
    const seen = new Set<string>();
    for (const route of allRoutes()) {
      const main = mainSuccess(route);
      if (this.checked.some((c) => c.route === routeName(route) && c.status === main)) seen.add(routeName(route));
    }
    return seen;
  }

  private check(response: FunctionResponse): string | undefined {
    // CORS preflights are answered by apiHandler for every path, before routing.
    if (response.method === 'OPTIONS') return response.status === 204 ? undefined : 'a preflight is answered 204';
    const route = findRoute(response.function, response.method, response.path);
    // The router's own 404 for a path no route serves.
    if (!route) return response.status === 404 ? envelopeProblem(response) : `no route of function ${response.function} serves it`;
    this.checked.push({ route: routeName(route), status: response.status });
    // The upstream's answer, whatever it is; our own errors are still Nango envelopes.
    if (route.forwardsUpstream) return response.status >= 400 && isJson(response) && isEnvelope(response) ? envelopeProblem(response) : undefined;
    const declared = declaredResponses(route)[response.status];
    if (!declared) return `status ${response.status} is not declared by ${routeName(route)}`;
    if (!isJson(response)) return undefined;
    const schema = declared.schema ?? (response.status >= 400 ? ERROR_ENVELOPE : undefined);
    if (!schema) return `${routeName(route)} declares no schema for its JSON ${response.status}`;
    return schemaProblem(schema, JSON.parse(response.body.toString('utf8')));
  }
}

export function allRoutes(): AnyRoute[] {
  return Object.values(ROUTES_BY_FUNCTION).flat();
}

export function mainSuccess(route: AnyRoute): number {
  return Math.min(...Object.keys(route.responses).map(Number).filter((status) => status < 400));
}

function isJson(response: FunctionResponse): boolean {
  const type = Object.entries(response.headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1][0] ?? '';
  return /^application\/json\b/i.test(type) && response.body.length > 0;
}

/** Our own error answers: `{error: {code}}` with nothing else at the top. */
function isEnvelope(response: FunctionResponse): boolean {
  try {
    const body = JSON.parse(response.body.toString('utf8')) as unknown;
    if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1) return false;
    const error = (body as { error?: unknown }).error;
    return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string';
  } catch {
    return false;
  }
}

function envelopeProblem(response: FunctionResponse): string | undefined {
  return isJson(response) ? schemaProblem(ERROR_ENVELOPE, JSON.parse(response.body.toString('utf8'))) : 'not JSON';
}

/** Why `body` does not match `schema`: a failed parse, or a field the schema does not name. */
export function schemaProblem(schema: z.ZodType, body: unknown): string | undefined {
  const parsed = schema.safeParse(body);
  if (!parsed.success) return parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
  const extra = undeclaredField(body, parsed.data, []);
  return extra ? `${extra} is sent but not declared` : undefined;
}

/** Zod drops the keys an object schema does not name: any key of the body missing from the parse. */
function undeclaredField(sent: unknown, parsed: unknown, path: string[]): string | undefined {
  if (Array.isArray(sent) && Array.isArray(parsed)) {
    for (let i = 0; i < sent.length; i++) {
      const found = undeclaredField(sent[i], parsed[i], [...path, String(i)]);
      if (found) return found;
    }
    return undefined;
  }
  if (!isObject(sent) || !isObject(parsed)) return undefined;
  for (const [key, value] of Object.entries(sent)) {
    if (!(key in parsed)) return [...path, key].join('.');
    const found = undeclaredField(value, parsed[key], [...path, key]);
    if (found) return found;
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The route middy's router would pick: a literal segment beats a parameter. */
function findRoute(fn: string, method: string, rawPath: string): AnyRoute | undefined {
  const segments = rawPath.replace(/\/$/, '').split('/').slice(1);
  const candidates = (ROUTES_BY_FUNCTION[fn] ?? []).filter((route) => {
    if (route.method !== method.toUpperCase()) return false;
    const parts = route.path.split('/').slice(1);
    // `{proxy+}` takes the rest of the path (one segment at least).
    const greedy = parts.at(-1)?.endsWith('+}') === true;
    const fixed = greedy ? parts.slice(0, -1) : parts;
    const lengthFits = greedy ? segments.length > fixed.length : parts.length === segments.length;
    return lengthFits && fixed.every((part, i) => part.startsWith('{') || part === segments[i]);
  });
  const parameters = (route: AnyRoute) => route.path.split('/').filter((part) => part.startsWith('{')).length;
  return candidates.sort((a, b) => parameters(a) - parameters(b))[0];
}
