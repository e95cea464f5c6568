import { Validator, type AwsJsonHandler, type JsonObject } from '../aws-json';
import type { KeyRecord, KeyStore } from './key-store';

/**
 * The key operations the functions' tests drive through the real SDK: EnableKey and DisableKey
 * (KMS failures), RotateKeyOnDemand and ListKeyRotations (old envelopes still open after a
 * rotation). Keys themselves come from KmsServer's `aliases` option.
 */

const KEY_ID = { required: true, min: 1, max: 2048 } as const;

/** awsJson timestamps are epoch seconds. */
const epoch = (iso: string) => Date.parse(iso) / 1000;

export function keyOperations(store: KeyStore): Record<string, AwsJsonHandler> {
  const arn = (key: KeyRecord) => store.keyArn(key.id);

  /** A request naming one key by any of the four KeyId forms. */
  function keyFrom(input: JsonObject): KeyRecord {
    const v = new Validator(input);
    const keyId = v.string('KeyId', KEY_ID);
    v.done();
    return store.resolve(keyId!);
  }

  return {
    EnableKey(input) {
      store.setEnabled(keyFrom(input), true);
      return {};
    },

    DisableKey(input) {
      store.setEnabled(keyFrom(input), false);
      return {};
    },

    RotateKeyOnDemand(input) {
      const key = keyFrom(input);
      store.requireEnabled(key);
      store.rotate(key);
      return { KeyId: arn(key) };
    },

    ListKeyRotations(input) {
      const key = keyFrom(input);
      return {
        Rotations: key.rotations.map((r) => ({ KeyId: arn(key), RotationDate: epoch(r.date), RotationType: r.type })),
        Truncated: false,
      };
    },
  };
}
