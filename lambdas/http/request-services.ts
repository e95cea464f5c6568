import type { SecretHasher } from '../platform/crypto/secret-hash';
import { secretHasherLoader } from '../auth/secret-hasher';
import { env, setting } from '../platform/config';
import { managementApi, type SocketPoster } from '../platform/websocket/connections-api';
import { platformHandles, type PlatformHandles } from '../platform/handles';
import { ProviderRegistry } from '../providers/provider-registry';

/** What a route is handed with each request besides the request itself. */
export interface RequestServices extends PlatformHandles {
  readonly providers: ProviderRegistry;
  /** The keyed hash of secret keys and session tokens (loaded on first use). */
  secretHasher(): Promise<SecretHasher>;
  /** Posts to the frontend SDK's WebSockets; undefined when no WebSocket API is deployed. */
  readonly sockets: SocketPoster | undefined;
}

/**
 * The composition root of the REST-facing functions (`api` and `connect` need exactly these):
 * everything built once per process, lazily, from `env()`. Tests pass their own to `apiHandler`.
 */
export function requestServices(handles: PlatformHandles = platformHandles()): RequestServices {
  const providers = new ProviderRegistry();
  const secretHasher = secretHasherLoader(() => handles.db, () => env().LATCHKEY_KMS_KEY_ID);
  let sockets: { poster: SocketPoster | undefined } | undefined;
  return {
    get db() {
      return handles.db;
    },
    get cipher() {
      return handles.cipher;
    },
    providers,
    secretHasher,
    get sockets() {
      sockets ??= { poster: managementApi(setting('LATCHKEY_WEBSOCKET_CALLBACK_URL')) };
      return sockets.poster;
    },
  };
}
