import { AwsServiceError } from '../aws-http';
import { Validator, type AwsJsonHandler, type JsonObject } from '../aws-json';
import type { KeyRecord, KeyStore } from './key-store';

/**
 * Key and alias management: CreateKey, DescribeKey, ListKeys, the alias operations, enable/disable,
 * deletion scheduling and rotation. Only symmetric ENCRYPT_DECRYPT keys with KMS-made material
 * exist here; asking for anything else is UnsupportedOperationException, not a silent substitute.
 */

const KEY_ID = { required: true, min: 1, max: 2048 } as const;
const ALIAS_PATTERN = /^[a-zA-Z0-9:/_-]+$/;

/** awsJson timestamps are epoch seconds. */
const epoch = (iso: string) => Date.parse(iso) / 1000;

function unsupported(what: string): AwsServiceError {
  return new AwsServiceError('UnsupportedOperationException', `${what} is not supported by the local KMS stand-in.`, 400);
}

export function keyOperations(store: KeyStore, accountId: string): Record<string, AwsJsonHandler> {
  const arn = (key: KeyRecord) => store.keyArn(key.id);

  /** In KeyMetadata, unlike the crypto responses, KeyId is the bare key id and Arn the ARN (as AWS). */
  function metadata(key: KeyRecord) {
    return {
      AWSAccountId: accountId,
      KeyId: key.id,
      Arn: arn(key),
      CreationDate: epoch(key.createdAt),
      Enabled: key.state === 'Enabled',
      Description: key.description,
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: key.state,
      ...(key.deletionDate ? { DeletionDate: epoch(key.deletionDate), PendingDeletionWindowInDays: key.pendingWindowInDays } : {}),
      Origin: 'AWS_KMS',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    };
  }

  /** A request naming one key by any of the four KeyId forms. */
  function keyFrom(input: JsonObject, extra?: (v: Validator) => void): KeyRecord {
    const v = new Validator(input);
    const keyId = v.string('KeyId', KEY_ID);
    extra?.(v);
    v.done();
    return store.resolve(keyId!);
  }

  function aliasName(v: Validator, key: string): string | undefined {
    const name = v.string(key, { required: true, min: 1, max: 256 });
    if (name === undefined) return undefined;
    if (!ALIAS_PATTERN.test(name)) v.fail('aliasName', `Member must satisfy regular expression pattern: ${ALIAS_PATTERN.source}`, name);
    else if (!name.startsWith('alias/')) v.failRaw('Alias must start with the prefix "alias/".');
    else if (name.startsWith('alias/aws/')) v.failRaw('The alias prefix "alias/aws/" is reserved for AWS managed keys.');
    return name;
  }

  /** Aliases point at a key by id or key ARN, never at another alias. */
  function targetKey(v: Validator): string | undefined {
    const target = v.string('TargetKeyId', KEY_ID);
    if (target !== undefined && (target.startsWith('alias/') || target.includes(':alias/'))) {
      v.failRaw('TargetKeyId must be a key ID or key ARN, not an alias.');
    }
    return target;
  }

  function aliasChange(input: JsonObject, change: (name: string, key: KeyRecord) => void): Record<string, never> {
    const v = new Validator(input);
    const name = aliasName(v, 'AliasName');
    const target = targetKey(v);
    v.done();
    const key = store.resolve(target!);
    store.requireNotPendingDeletion(key);
    change(name!, key);
    return {};
  }

  return {
    CreateKey(input) {
      const v = new Validator(input);
      const description = v.string('Description', { max: 8192 });
      const usage = v.string('KeyUsage', { enum: ['SIGN_VERIFY', 'ENCRYPT_DECRYPT', 'GENERATE_VERIFY_MAC', 'KEY_AGREEMENT'] });
      const spec = v.string('KeySpec') ?? v.string('CustomerMasterKeySpec');
      const origin = v.string('Origin', { enum: ['AWS_KMS', 'EXTERNAL', 'AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'] });
      const multiRegion = v.boolean('MultiRegion');
      v.done();
      if (usage !== undefined && usage !== 'ENCRYPT_DECRYPT') throw unsupported(`KeyUsage ${usage}`);
      if (spec !== undefined && spec !== 'SYMMETRIC_DEFAULT') throw unsupported(`KeySpec ${spec}`);
      if (origin !== undefined && origin !== 'AWS_KMS') throw unsupported(`Origin ${origin}`);
      if (multiRegion) throw unsupported('A multi-Region key');
      return { KeyMetadata: metadata(store.createKey(description ?? '')) };
    },

    DescribeKey: (input) => ({ KeyMetadata: metadata(keyFrom(input)) }),

    ListKeys: () => ({ Keys: store.listKeys().map((k) => ({ KeyId: k.id, KeyArn: arn(k) })), Truncated: false }),

    ListAliases(input) {
      const v = new Validator(input);
      const keyId = v.string('KeyId', { min: 1, max: 2048 });
      v.done();
      const key = keyId === undefined ? undefined : store.resolve(keyId);
      const aliases = store.listAliases(key?.id).map((a) => ({
        AliasName: a.name,
        AliasArn: store.aliasArn(a.name),
        TargetKeyId: a.keyId,
        CreationDate: epoch(a.createdAt),
        LastUpdatedDate: epoch(a.updatedAt),
      }));
      return { Aliases: aliases, Truncated: false };
    },

    CreateAlias: (input) => aliasChange(input, (name, key) => store.createAlias(name, key)),
    UpdateAlias: (input) => aliasChange(input, (name, key) => store.updateAlias(name, key)),

    DeleteAlias(input) {
      const v = new Validator(input);
      const name = aliasName(v, 'AliasName');
      v.done();
      store.deleteAlias(name!);
      return {};
    },

    EnableKey(input) {
      store.setEnabled(keyFrom(input), true);
      return {};
    },

    DisableKey(input) {
      store.setEnabled(keyFrom(input), false);
      return {};
    },

    ScheduleKeyDeletion(input) {
      let days: number | undefined;
      const key = keyFrom(input, (v) => (days = v.integer('PendingWindowInDays', { min: 7, max: 30 })));
      store.scheduleDeletion(key, days ?? 30);
      return { KeyId: arn(key), DeletionDate: epoch(key.deletionDate!), KeyState: key.state, PendingWindowInDays: key.pendingWindowInDays };
    },

    CancelKeyDeletion(input) {
      const key = keyFrom(input);
      store.cancelDeletion(key);
      return { KeyId: arn(key) };
    },

    EnableKeyRotation(input) {
      let period: number | undefined;
      const key = keyFrom(input, (v) => (period = v.integer('RotationPeriodInDays', { min: 90, max: 2560 })));
      store.requireEnabled(key);
      store.setRotation(key, true, period);
      return {};
    },

    DisableKeyRotation(input) {
      const key = keyFrom(input);
      store.requireEnabled(key);
      store.setRotation(key, false);
      return {};
    },

    GetKeyRotationStatus(input) {
      const key = keyFrom(input);
      store.requireNotPendingDeletion(key);
      const lastOnDemand = key.rotations.filter((r) => r.type === 'ON_DEMAND').at(-1);
      return {
        KeyId: arn(key),
        KeyRotationEnabled: key.rotationEnabled,
        ...(key.rotationEnabled ? { RotationPeriodInDays: key.rotationPeriodInDays, NextRotationDate: epoch(key.nextRotationDate!) } : {}),
        ...(lastOnDemand ? { OnDemandRotationStartDate: epoch(lastOnDemand.date) } : {}),
      };
    },

    RotateKeyOnDemand(input) {
      const key = keyFrom(input);
      store.requireEnabled(key);
      store.rotate(key, 'ON_DEMAND');
      return { KeyId: arn(key) };
    },

    /** Not in the brief's list, but it makes rotation observable through the real API. */
    ListKeyRotations(input) {
      const key = keyFrom(input);
      store.requireNotPendingDeletion(key);
      return {
        Rotations: key.rotations.map((r) => ({ KeyId: arn(key), RotationDate: epoch(r.date), RotationType: r.type })),
        Truncated: false,
      };
    },
  };
}
