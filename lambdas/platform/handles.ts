import { env, type Env } from './config';
import { EnvelopeCipher } from './crypto/envelope-cipher';
import { createKmsClient } from './crypto/kms';
import { DataApi } from './db/data-api';

/** The database and the envelope cipher a function works with. */
export interface PlatformHandles {
  readonly db: DataApi;
  readonly cipher: EnvelopeCipher;
}

/**
 * For a function's composition root: each handle is built on first use from the settings (so the
 * SDK reads its endpoint variables then) and kept for the life of the container; the cipher's data
 * key cache is what makes warm invocations free of KMS.
 */
export function platformHandles(settings: () => Env = env): PlatformHandles {
  let db: DataApi | undefined;
  let cipher: EnvelopeCipher | undefined;
  return {
    get db() {
      const e = settings();
      db ??= new DataApi({ resourceArn: e.LATCHKEY_DB_CLUSTER_ARN, secretArn: e.LATCHKEY_DB_SECRET_ARN, database: e.LATCHKEY_DB_NAME });
      return db;
    },
    get cipher() {
      cipher ??= new EnvelopeCipher({ kms: createKmsClient(), keyId: settings().LATCHKEY_KMS_KEY_ID });
      return cipher;
    },
  };
}
