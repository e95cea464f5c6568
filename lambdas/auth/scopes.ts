/**
 * Key scopes, as Nango names them (`environment:*`, `environment:connections:read_credentials`).
 * A granted scope ending in `:*` covers everything below it.
 */
export function hasScope(granted: readonly string[], required: string): boolean {
  return granted.some((scope) => scope === required || (scope.endsWith(':*') && required.startsWith(scope.slice(0, -1))));
}
