import { secretHasherLoader } from '../../lambdas/auth/secret-hasher';
import { env } from '../../lambdas/platform/config';
import { platformHandles } from '../../lambdas/platform/handles';

/**
 * The test process's own handles, built like a function's composition root (on first use, from
 * the environment the test stack set): for set-up and checks that go around the API.
 */
const handles = platformHandles();
const loadHasher = secretHasherLoader(() => handles.db, () => env().LATCHKEY_KMS_KEY_ID);

export const database = () => handles.db;
export const envelopeCipher = () => handles.cipher;
export const secretHasher = loadHasher;
