import { Failure } from './api';

/**
 * The OAuth popup flow, written here rather than bundling the frontend SDK: open the popup during the
 * click (popup blockers allow only that), open the WebSocket, wait for its client id, send the popup
 * to our authorize route, and settle on the socket's `success` or `error`. The callback page's
 * BroadcastChannel and opener messages also report errors (and are acknowledged so it closes).
 */

export interface OAuthResult {
  connectionId: string;
  isPending: boolean;
}

export interface OAuthFlow {
  /** Settles once: the connection, or a Failure (`window_closed`, `blocked_by_browser`, the server's error). */
  result: Promise<OAuthResult>;
  cancel(): void;
}

const POPUP_FEATURES = 'popup=yes,width=500,height=650,scrollbars=yes,resizable=yes';
/** How long the popup may sit unopened for lack of a socket before the flow gives up. */
const ACK_TIMEOUT_MS = 30_000;

export function startOAuth(options: {
  apiBase: string;
  websocketsPath: string;
  /** The popup URL for a socket client id. */
  popupUrl(wsClientId: string): string;
  detectClosedWindow: boolean;
}): OAuthFlow {
  // Synchronously, inside the click.
  const popup = window.open('', '_blank', POPUP_FEATURES);
  if (!popup) return { result: Promise.reject(new Failure('blocked_by_browser', '')), cancel: () => {} };
  const apiOrigin = new URL(options.apiBase).origin;
  let socket: WebSocket | undefined;
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel('nango-oauth-callback') : undefined;
  const timers: number[] = [];
  let navigated = false;
  let settle: { resolve(r: OAuthResult): void; reject(f: Failure): void } | undefined;

  const result = new Promise<OAuthResult>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const finish = (outcome: OAuthResult | Failure) => {
    if (!settle) return;
    const { resolve, reject } = settle;
    settle = undefined;
    cleanup();
    if (outcome instanceof Failure) reject(outcome);
    else resolve(outcome);
    // The UI now shows the outcome: the popup has nothing left to say.
    window.setTimeout(() => popup.close(), 500);
  };
  const cleanup = () => {
    timers.forEach((id) => window.clearTimeout(id));
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
    // The callback page may speak after the socket did: still acknowledge it for a moment.
    window.setTimeout(() => {
      window.removeEventListener('message', onWindowMessage);
      channel?.close();
    }, 3000);
  };

  const onCallbackMessage = (data: unknown, reply: (message: unknown) => void) => {
    const message = data as { type?: string; payload?: { errorType?: string; message?: string } } | null;
    if (message?.type === 'nango_oauth_callback_error') {
      reply({ type: 'nango_oauth_callback_ack' });
      finish(new Failure(message.payload?.errorType ?? 'unknown_err', message.payload?.message ?? ''));
    } else if (message?.type === 'nango_oauth_callback_success') {
      // The connection id comes over the socket; the ack lets the page close.
      reply({ type: 'nango_oauth_callback_ack' });
    }
  };
  const onWindowMessage = (event: MessageEvent) => {
    if (event.origin !== apiOrigin || event.source !== popup) return;
    onCallbackMessage(event.data, (m) => popup.postMessage(m, apiOrigin));
  };
  window.addEventListener('message', onWindowMessage);
  if (channel) channel.onmessage = (event) => onCallbackMessage(event.data, (m) => channel.postMessage(m));

  const wsUrl = new URL(options.websocketsPath || '/', options.apiBase);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  try {
    socket = new WebSocket(wsUrl.href);
  } catch {
    popup.close();
    return { result: Promise.reject(new Failure('network', '')), cancel: () => {} };
  }
  socket.onmessage = (event) => {
    let data: { message_type?: string; ws_client_id?: string; connection_id?: string; is_pending?: boolean; error_type?: string; error_desc?: string };
    try {
      data = JSON.parse(String(event.data));
    } catch {
      return;
    }
    if (data.message_type === 'connection_ack' && data.ws_client_id) {
      navigated = true;
      popup.location.href = options.popupUrl(data.ws_client_id);
    } else if (data.message_type === 'success' && data.connection_id) {
      finish({ connectionId: data.connection_id, isPending: data.is_pending === true });
    } else if (data.message_type === 'error') {
      finish(new Failure(data.error_type ?? 'unknown_err', data.error_desc ?? ''));
    }
  };
  socket.onerror = () => finish(new Failure('network', ''));
  timers.push(
    window.setTimeout(() => {
      if (!navigated) {
        popup.close();
        finish(new Failure('network', ''));
      }
    }, ACK_TIMEOUT_MS),
  );
  // A popup closed by the end user must not leave the page waiting; the socket's answer may trail
  // the callback page's own close by a moment, hence the grace (none when the app asked for it).
  const grace = options.detectClosedWindow ? 0 : 1500;
  const poll = window.setInterval(() => {
    if (!settle) return window.clearInterval(poll);
    if (popup.closed) {
      window.clearInterval(poll);
      timers.push(window.setTimeout(() => finish(new Failure('window_closed', '')), grace));
    }
  }, 300);
  return {
    result,
    cancel: () => {
      popup.close();
      finish(new Failure('window_closed', ''));
    },
  };
}
