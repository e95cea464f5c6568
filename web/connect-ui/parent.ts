/**
 * The iframe side of `nango.openConnectUI()`'s postMessage protocol: `ready` → the parent's
 * `session_token`; then `connect`, `error`, `settings_changed` and `close` to the parent.
 */

export type ParentEvent =
  | { type: 'ready' }
  | { type: 'close' }
  | { type: 'connect'; payload: { providerConfigKey: string; connectionId: string; isPending?: boolean } }
  | { type: 'error'; payload: { errorType: string; errorMessage: string } }
  | { type: 'settings_changed'; payload: unknown };

export const embedded = window.parent !== window;

/** The embedding page's origin when the browser tells it (Chromium, Safari), so events go only there. */
function parentOrigin(): string {
  const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
  const first = ancestors && ancestors.length > 0 ? ancestors[0] : undefined;
  return first && first !== 'null' ? first : '*';
}

export function toParent(event: ParentEvent): void {
  if (embedded) window.parent.postMessage(event, parentOrigin());
}

/** Says `ready` and resolves with the first session token the parent window itself sends. */
export function sessionTokenFromParent(): Promise<string> {
  return new Promise((resolve) => {
    const onMessage = (event: MessageEvent) => {
      if (event.source !== window.parent) return;
      const data = event.data as { type?: unknown; sessionToken?: unknown } | null;
      if (!data || data.type !== 'session_token' || typeof data.sessionToken !== 'string' || !data.sessionToken) return;
      window.removeEventListener('message', onMessage);
      resolve(data.sessionToken);
    };
    window.addEventListener('message', onMessage);
    toParent({ type: 'ready' });
  });
}
