import { env } from '../config';
import { EnvelopeCipher } from './envelope-cipher';
import { createKmsClient } from './kms';

let cipher: EnvelopeCipher | undefined;

/**
 * The function's cipher, created on first use and kept for the life of the Lambda container, so
 * its data key cache makes warm invocations free of KMS calls.
 */
export function envelopeCipher(): EnvelopeCipher {
  cipher ??= new EnvelopeCipher({ kms: createKmsClient(), keyId: env().LATCHKEY_KMS_KEY_ID });
  return cipher;
}
