import { database, env } from '../platform/config';
import { createKmsClient } from '../platform/crypto/kms';
import { SecretHasher } from '../platform/crypto/secret-hash';

let loading: Promise<SecretHasher> | undefined;

/** The container's hasher: loaded once (one statement, one KMS Decrypt), retried if loading failed. */
export function secretHasher(): Promise<SecretHasher> {
  loading ??= SecretHasher.load(database(), createKmsClient(), env().LATCHKEY_KMS_KEY_ID).catch((err) => {
    loading = undefined;
    throw err;
  });
  return loading;
}
