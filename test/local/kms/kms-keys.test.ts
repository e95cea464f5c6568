import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { KmsServer, type KmsServerOptions } from '../../../local/kms';
import { rejection, type SdkError } from '../../support/rejection';

// Key and alias management, rotation, lazy deletion and the state file, through the real SDK.


const failure = (call: Promise<unknown>) => rejection<SdkError>(call);

const DAY = 86_400_000;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-kms-'));
/** Test clock shared by every server in this file; tests move it forward to make time pass. */
let clock = Date.parse('2030-01-01T00:00:00Z');
const started: Array<{ server: KmsServer; client: KMSClient }> = [];

async function startKms(options: KmsServerOptions = {}): Promise<{ server: KmsServer; kms: KMSClient }> {
  const server = new KmsServer({ now: () => new Date(clock), ...options });
  const url = await server.start();
  const kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  started.push({ server, client: kms });
  return { server, kms };
}

let kms: KMSClient;

beforeAll(async () => {
  ({ kms } = await startKms());
});

afterAll(async () => {
  for (const { server, client } of started) {
    client.destroy();
    await server.stop();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function newKey(description?: string): Promise<string> {
  return (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!.Arn!;
}

/** Backing-key version our blob format records (bytes 19–22, see local/kms/ciphertext.ts). */
const versionOf = (blob: Uint8Array | undefined) => Buffer.from(blob!).readUInt32BE(19);

describe('keys', () => {
  test('CreateKey returns AWS-shaped metadata; KeyMetadata.KeyId is the bare id', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'vault key' }));
    expect(KeyMetadata).toMatchObject({
      AWSAccountId: '000000000000',
      Description: 'vault key',
      Enabled: true,
      KeyState: 'Enabled',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyManager: 'CUSTOMER',
      Origin: 'AWS_KMS',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    });
    expect(KeyMetadata!.Arn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${KeyMetadata!.KeyId}`);
    expect(KeyMetadata!.CreationDate).toEqual(new Date(clock));
    const listed = await kms.send(new ListKeysCommand({}));
    expect(listed.Truncated).toBe(false);
    expect(listed.Keys).toContainEqual({ KeyId: KeyMetadata!.KeyId, KeyArn: KeyMetadata!.Arn });
  });

  test('only symmetric ENCRYPT_DECRYPT keys are offered', async () => {
    const err = await failure(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })));
    expect(err.name).toBe('UnsupportedOperationException');
  });

  test('DisableKey shows in DescribeKey', async () => {
    const arn = await newKey();
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: arn }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
  });
});

describe('aliases', () => {
  test('create, list, update (ciphertexts stay with their key) and delete', async () => {
    const first = await newKey();
    const second = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/app', TargetKeyId: first }));
    const firstId = first.split('/')[1];
    const listed = await kms.send(new ListAliasesCommand({ KeyId: first }));
    expect(listed.Aliases).toEqual([
      {
        AliasName: 'alias/app',
        AliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/app',
        TargetKeyId: firstId,
        CreationDate: new Date(clock),
        LastUpdatedDate: new Date(clock),
      },
    ]);
    const blob = (await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: Buffer.from('x') }))).CiphertextBlob;

    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/app', TargetKeyId: second }));
    expect((await kms.send(new EncryptCommand({ KeyId: 'alias/app', Plaintext: Buffer.from('y') }))).KeyId).toBe(second);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).KeyId).toBe(first);
    const wrongAlias = await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: 'alias/app' })));
    expect(wrongAlias.name).toBe('IncorrectKeyException');

    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/app' }));
    expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: 'alias/app' })))).name).toBe('NotFoundException');
    expect((await kms.send(new DescribeKeyCommand({ KeyId: second }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  test('errors: duplicate, bad names, unknown alias, alias as target', async () => {
    const arn = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: arn }));
    const dup = await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/dup', TargetKeyId: arn })));
    expect([dup.name, dup.message]).toEqual(['AlreadyExistsException', 'An alias with the name arn:aws:kms:us-east-1:000000000000:alias/dup already exists']);
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'noprefix', TargetKeyId: arn })))).name).toBe('ValidationException');
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/aws/s3', TargetKeyId: arn })))).name).toBe('ValidationException');
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/sp ace', TargetKeyId: arn })))).message).toContain('regular expression pattern');
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/x', TargetKeyId: 'alias/dup' })))).name).toBe('ValidationException');
    const missing = await failure(kms.send(new UpdateAliasCommand({ AliasName: 'alias/none', TargetKeyId: arn })));
    expect([missing.name, missing.$metadata.httpStatusCode]).toEqual(['NotFoundException', 404]);
    expect((await failure(kms.send(new DeleteAliasCommand({ AliasName: 'alias/none' })))).name).toBe('NotFoundException');
  });

  test('a key pending deletion cannot gain an alias', async () => {
    const arn = await newKey();
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    expect((await failure(kms.send(new CreateAliasCommand({ AliasName: 'alias/late', TargetKeyId: arn })))).name).toBe('KMSInvalidStateException');
  });
});

describe('rotation', () => {
  test('on demand: new material for new ciphertexts, old ones still decrypt, ReEncrypt moves to the newest', async () => {
    const arn = await newKey();
    const old = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('old'), EncryptionContext: { a: '1' } }))).CiphertextBlob;
    expect(versionOf(old)).toBe(0);
    expect(await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }))).toMatchObject({ KeyId: arn });
    const fresh = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('new') }))).CiphertextBlob;
    expect(versionOf(fresh)).toBe(1);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: old, EncryptionContext: { a: '1' } }))).Plaintext!).toString()).toBe('old');
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: fresh }))).Plaintext!).toString()).toBe('new');

    const moved = await kms.send(new ReEncryptCommand({ CiphertextBlob: old, SourceEncryptionContext: { a: '1' }, DestinationKeyId: arn, DestinationEncryptionContext: { a: '2' } }));
    expect(versionOf(moved.CiphertextBlob)).toBe(1);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: moved.CiphertextBlob, EncryptionContext: { a: '2' } }))).Plaintext!).toString()).toBe('old');

    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: arn }));
    expect(rotations.Rotations).toEqual([{ KeyId: arn, RotationDate: new Date(clock), RotationType: 'ON_DEMAND' }]);
    const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }));
    expect(status).toMatchObject({ KeyId: arn, KeyRotationEnabled: false, OnDemandRotationStartDate: new Date(clock) });
  });

  test('at most 10 on-demand rotations; disabled keys cannot rotate', async () => {
    const arn = await newKey();
    for (let i = 0; i < 10; i++) await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    expect((await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).name).toBe('LimitExceededException');
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect((await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).name).toBe('DisabledException');
    expect((await failure(kms.send(new EnableKeyRotationCommand({ KeyId: arn })))).name).toBe('DisabledException');
  });

  test('EnableKeyRotation records the period; rotation happens once it is due (lazily, by the clock)', async () => {
    const arn = await newKey();
    await kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
    expect(await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }))).toMatchObject({
      KeyRotationEnabled: true,
      RotationPeriodInDays: 90,
      NextRotationDate: new Date(clock + 90 * DAY),
    });
    const before = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('a') }))).CiphertextBlob;
    expect(versionOf(before)).toBe(0);
    clock += 91 * DAY;
    const after = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('b') }))).CiphertextBlob;
    expect(versionOf(after)).toBe(1);
    expect((await kms.send(new ListKeyRotationsCommand({ KeyId: arn }))).Rotations!.map((r) => r.RotationType)).toEqual(['AUTOMATIC']);
    expect((await kms.send(new DecryptCommand({ CiphertextBlob: before }))).KeyId).toBe(arn);
    await kms.send(new DisableKeyRotationCommand({ KeyId: arn }));
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: arn }))).KeyRotationEnabled).toBe(false);
  });

  test('RotationPeriodInDays must be 90–2560', async () => {
    const arn = await newKey();
    const err = await failure(kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 30 })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toBe("1 validation error detected: Value '30' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90");
  });
});

describe('scheduled deletion', () => {
  test('the window is 7–30 days; once it passes the key and its aliases are gone', async () => {
    const arn = await newKey();
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/doomed', TargetKeyId: arn }));
    expect((await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 6 })))).name).toBe('ValidationException');
    const blob = (await kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('x') }))).CiphertextBlob;
    const out = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn }));
    expect(out).toMatchObject({ PendingWindowInDays: 30, DeletionDate: new Date(clock + 30 * DAY) });
    expect((await failure(kms.send(new ScheduleKeyDeletionCommand({ KeyId: arn })))).name).toBe('KMSInvalidStateException');
    clock += 30 * DAY;
    expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: arn })))).name).toBe('NotFoundException');
    expect((await failure(kms.send(new DescribeKeyCommand({ KeyId: 'alias/doomed' })))).name).toBe('NotFoundException');
    expect((await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob })))).name).toBe('NotFoundException');
  });
});

describe('state file', () => {
  const stateFile = path.join(tmp, 'nested', 'kms.json');

  test('a restarted server on the same file keeps keys, aliases, states and old material', async () => {
    const a = await startKms({ stateFile, aliases: ['alias/latchkey'] });
    const arn = a.server.keyArn('alias/latchkey');
    const old = (await a.kms.send(new EncryptCommand({ KeyId: 'alias/latchkey', Plaintext: Buffer.from('kept'), EncryptionContext: { t: '1' } }))).CiphertextBlob;
    await a.kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    const rotated = (await a.kms.send(new EncryptCommand({ KeyId: arn, Plaintext: Buffer.from('kept too') }))).CiphertextBlob;
    const disabled = (await a.kms.send(new CreateKeyCommand({}))).KeyMetadata!.Arn!;
    await a.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    a.kms.destroy();
    await a.server.stop();

    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(stateFile))).toEqual(['kms.json']);

    const b = await startKms({ stateFile, aliases: ['alias/latchkey'] });
    expect(b.server.keyArn('alias/latchkey')).toBe(arn);
    const back = await b.kms.send(new DecryptCommand({ CiphertextBlob: old, EncryptionContext: { t: '1' } }));
    expect([back.KeyId, Buffer.from(back.Plaintext!).toString()]).toEqual([arn, 'kept']);
    expect(Buffer.from((await b.kms.send(new DecryptCommand({ CiphertextBlob: rotated }))).Plaintext!).toString()).toBe('kept too');
    expect((await b.kms.send(new DescribeKeyCommand({ KeyId: disabled }))).KeyMetadata!.KeyState).toBe('Disabled');
    expect((await b.kms.send(new ListAliasesCommand({}))).Aliases!.map((x) => x.AliasName)).toEqual(['alias/latchkey']);
  });

  test('the file holds every backing-key version as base64', async () => {
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { keys: Array<{ material: string[] }> };
    expect(state.keys.some((k) => k.material.length === 2)).toBe(true);
    for (const key of state.keys) for (const m of key.material) expect(Buffer.from(m, 'base64')).toHaveLength(32);
  });

  test('a damaged state file stops the server from starting, without quoting its content', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ format: 'latchkey-local-kms', version: 1, keys: [{ id: 'x', material: 'c2VjcmV0' }], aliases: [] }));
    expect(() => new KmsServer({ stateFile: bad })).toThrow(/unexpected shape at: keys\.0\.id/);
    expect(() => new KmsServer({ stateFile: bad })).not.toThrow(/c2VjcmV0/);
    fs.writeFileSync(bad, '{');
    expect(() => new KmsServer({ stateFile: bad })).toThrow('is not valid JSON');
  });

  test('without a state file, keys live in memory only', async () => {
    const first = new KmsServer({ aliases: ['alias/mem'] });
    const second = new KmsServer({ aliases: ['alias/mem'] });
    expect(first.keyArn('alias/mem')).not.toBe(second.keyArn('alias/mem'));
  });
});
