import type { HttpMethod, RouteSpec } from '../../lib/topology';

/**
 * API Gateway REST API routing. Routes form a resource tree like the deployed API's (every prefix
 * of a route path is a resource too, as CDK creates the parents, and `/` always exists).
 *
 * A request resolves to a resource AND method pair, as measured on real REST APIs: the resources
 * whose path matches are tried from the most specific (per segment a literal beats `{param}`,
 * which beats `{proxy+}`), and the first one declaring the method, or ANY, wins. So `POST /health`
 * with only `GET /health` falls through to an `ANY /{proxy+}`; only when no matching resource
 * declares the method does the client get MISSING_AUTHENTICATION_TOKEN (our 404, lib/gateway-responses.ts).
 * - one trailing slash is ignored (`/health/` reaches `/health`), as deployed REST APIs do;
 * - `{proxy+}` takes one or more segments: `/{proxy+}` does not take `/`;
 * - path parameters are URL-decoded; the event's path stays as the client sent it.
 */

interface ResourceNode {
  path: string;
  literals: Map<string, ResourceNode>;
  variable?: { name: string; greedy: boolean; node: ResourceNode };
  methods: Map<HttpMethod, RouteSpec>;
}

export interface RouteMatch {
  route: RouteSpec;
  /** The matched resource path, `/connections/{connectionId}`. */
  resource: string;
  pathParameters: Record<string, string> | null;
}

// API Gateway: "Resource's path part only allow a-zA-Z0-9._- and curly braces ...".
const LITERAL = /^[A-Za-z0-9._-]+$/;
const VARIABLE = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

export class RouteTable {
  private readonly root: ResourceNode = newNode('/');

  constructor(routes: readonly RouteSpec[]) {
    for (const route of routes) this.add(route);
  }

  /** The route serving `method` on `rawPath` (path part of the URL, still encoded), or null: no route. */
  match(method: string, rawPath: string): RouteMatch | null {
    const segments = splitPath(rawPath);
    if (!segments) return null;
    for (const { node, params } of candidates(this.root, segments, 0, {})) {
      const route = node.methods.get(method.toUpperCase() as HttpMethod) ?? node.methods.get('ANY');
      if (route) return { route, resource: node.path, pathParameters: Object.keys(params).length > 0 ? params : null };
    }
    return null;
  }

  private add(route: RouteSpec): void {
    if (!route.path.startsWith('/') || (route.path !== '/' && route.path.endsWith('/'))) {
      throw new Error(`Route path ${route.path} must start with / and not end with /`);
    }
    let node = this.root;
    const parts = route.path === '/' ? [] : route.path.slice(1).split('/');
    parts.forEach((part, i) => {
      const variable = VARIABLE.exec(part);
      const path = `${node.path === '/' ? '' : node.path}/${part}`;
      if (variable) {
        const [, name, plus] = variable;
        if (plus && i !== parts.length - 1) throw new Error(`Greedy ${part} must be the last segment of ${route.path}`);
        if (node.variable && node.variable.node.path !== path) {
          // API Gateway: "A sibling ({x}) of this resource already has a variable path part -- only one is allowed".
          throw new Error(`Route ${route.path}: ${node.path} already has the variable child ${node.variable.node.path}`);
        }
        node.variable ??= { name, greedy: plus === '+', node: newNode(path) };
        node = node.variable.node;
      } else {
        if (!LITERAL.test(part)) throw new Error(`Route ${route.path} has an invalid segment "${part}"`);
        if (!node.literals.has(part)) node.literals.set(part, newNode(path));
        node = node.literals.get(part)!;
      }
    });
    if (node.methods.has(route.method)) throw new Error(`Duplicate route ${route.method} ${route.path}`);
    node.methods.set(route.method, route);
  }
}

function newNode(path: string): ResourceNode {
  return { path, literals: new Map(), methods: new Map() };
}

/** Raw path segments (still encoded), minus one trailing slash; null when not an absolute path. */
function splitPath(rawPath: string): string[] | null {
  if (!rawPath.startsWith('/')) return null;
  const trimmed = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
  return trimmed === '/' ? [] : trimmed.slice(1).split('/');
}

/** Resources matching the whole path, most specific first. */
function* candidates(
  node: ResourceNode,
  segments: string[],
  i: number,
  params: Record<string, string>,
): Generator<{ node: ResourceNode; params: Record<string, string> }> {
  if (i === segments.length) {
    yield { node, params };
    return;
  }
  const segment = decode(segments[i]);
  const literal = node.literals.get(segment);
  if (literal) yield* candidates(literal, segments, i + 1, params);
  const variable = node.variable;
  if (!variable || segment === '') return;
  if (variable.greedy) {
    yield { node: variable.node, params: { ...params, [variable.name]: decode(segments.slice(i).join('/')) } };
  } else {
    yield* candidates(variable.node, segments, i + 1, { ...params, [variable.name]: segment });
  }
}

export function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // malformed %-escapes pass through as sent
  }
}
