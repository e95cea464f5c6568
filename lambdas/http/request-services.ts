import type { SecretHasher } from '../platform/crypto/secret-hash';
import { secretHasherLoader } from '../auth/secret-hasher';
import { env } from '../platform/config';
import { platformHandles, type PlatformHandles } from '../platform/handles';
import { ProviderRegistry } from '../providers/provider-registry';

/** What a route is handed with each request besides the request itself. */
export interface RequestServices extends PlatformHandles {
  readonly providers: ProviderRegistry;
  /** The keyed hash of secret keys and session tokens (loaded on first use). */
  secretHasher(): Promise<SecretHasher>;
}

/**
 * The composition root of the REST-facing functions (`api` and `connect` need exactly these):
 * everything built once per process, lazily, from `env()`. Tests pass their own to `apiHandler`.
 */
export function requestServices(handles: PlatformHandles = platformHandles()): RequestServices {
  const providers = new ProviderRegistry();
  const secretHasher = secretHasherLoader(() => handles.db, () => env().LATCHKEY_KMS_KEY_ID);
  return {
    get db() {
      return handles.db;
    },
    get cipher() {
      return handles.cipher;
    },
    providers,
    secretHasher,
  };
}
