import { createKmsClient } from '../platform/crypto/kms';
import { SecretHasher } from '../platform/crypto/secret-hash';
import type { SqlExecutor } from '../platform/db/data-api';

/**
 * The container's hasher, for a composition root: loaded on first call (one statement, one KMS
 * Decrypt) and kept; loaded again on the next call if loading failed.
 */
export function secretHasherLoader(db: () => SqlExecutor, keyId: () => string): () => Promise<SecretHasher> {
  let loading: Promise<SecretHasher> | undefined;
  return () => {
    loading ??= SecretHasher.load(db(), createKmsClient(), keyId()).catch((err) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };
}
