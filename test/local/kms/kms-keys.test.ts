import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DecryptCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, KMSClient, ListKeyRotationsCommand, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { KmsServer, type KmsServerOptions } from '../../../local/kms';
import { rejection, type SdkError } from '../../support/rejection';

// Key states, on-demand rotation and the state file, through the real SDK: the key operations the
// functions' tests use (DisableKey, EnableKey, RotateKeyOnDemand, ListKeyRotations).

const failure = (call: Promise<unknown>) => rejection<SdkError>(call);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-kms-'));
const clock = Date.parse('2030-01-01T00:00:00Z');
const started: Array<{ server: KmsServer; client: KMSClient }> = [];

async function startKms(options: KmsServerOptions = {}): Promise<{ server: KmsServer; kms: KMSClient }> {
  const server = new KmsServer({ now: () => new Date(clock), ...options });
  const url = await server.start();
  const kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  started.push({ server, client: kms });
  return { server, kms };
}

let server: KmsServer;
let kms: KMSClient;

beforeAll(async () => {
  ({ server, kms } = await startKms({ aliases: ['alias/rotated', 'alias/limited', 'alias/toggled'] }));
});

afterAll(async () => {
  for (const { server, client } of started) {
    client.destroy();
    await server.stop();
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A data key sealed under `key`: its ciphertext and plaintext. */
async function seal(client: KMSClient, key: string, context?: Record<string, string>): Promise<{ blob: Uint8Array; plaintext: Buffer }> {
  const out = await client.send(new GenerateDataKeyCommand({ KeyId: key, NumberOfBytes: 16, EncryptionContext: context }));
  return { blob: out.CiphertextBlob!, plaintext: Buffer.from(out.Plaintext!) };
}

/** Backing-key version our blob format records (bytes 19–22, see local/kms/ciphertext.ts). */
const versionOf = (blob: Uint8Array | undefined) => Buffer.from(blob!).readUInt32BE(19);

describe('key state', () => {
  test('DisableKey stops crypto with DisabledException; EnableKey restores it; unknown keys are NotFoundException', async () => {
    const arn = server.keyArn('alias/toggled');
    const sealed = await seal(kms, arn);
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect((await failure(seal(kms, arn))).name).toBe('DisabledException');
    await kms.send(new EnableKeyCommand({ KeyId: 'alias/toggled' }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: sealed.blob }))).Plaintext!).equals(sealed.plaintext)).toBe(true);
    expect((await failure(kms.send(new DisableKeyCommand({ KeyId: 'alias/missing' })))).name).toBe('NotFoundException');
  });
});

describe('rotation', () => {
  test('on demand: new material for new ciphertexts, old ones still decrypt, ListKeyRotations shows it', async () => {
    const arn = server.keyArn('alias/rotated');
    const old = await seal(kms, arn, { a: '1' });
    expect(versionOf(old.blob)).toBe(0);
    expect(await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }))).toMatchObject({ KeyId: arn });
    const fresh = await seal(kms, arn);
    expect(versionOf(fresh.blob)).toBe(1);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: old.blob, EncryptionContext: { a: '1' } }))).Plaintext!).equals(old.plaintext)).toBe(true);
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: fresh.blob }))).Plaintext!).equals(fresh.plaintext)).toBe(true);
    const rotations = await kms.send(new ListKeyRotationsCommand({ KeyId: arn }));
    expect(rotations.Rotations).toEqual([{ KeyId: arn, RotationDate: new Date(clock), RotationType: 'ON_DEMAND' }]);
  });

  test('at most 10 on-demand rotations; disabled keys cannot rotate', async () => {
    const arn = server.keyArn('alias/limited');
    for (let i = 0; i < 10; i++) await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    expect((await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).name).toBe('LimitExceededException');
    await kms.send(new DisableKeyCommand({ KeyId: arn }));
    expect((await failure(kms.send(new RotateKeyOnDemandCommand({ KeyId: arn })))).name).toBe('DisabledException');
  });
});

describe('state file', () => {
  const stateFile = path.join(tmp, 'nested', 'kms.json');

  test('a restarted server on the same file keeps keys, aliases, states and old material', async () => {
    const a = await startKms({ stateFile, aliases: ['alias/latchkey', 'alias/disabled'] });
    const arn = a.server.keyArn('alias/latchkey');
    const old = await seal(a.kms, 'alias/latchkey', { t: '1' });
    await a.kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
    const rotated = await seal(a.kms, arn);
    const disabled = a.server.keyArn('alias/disabled');
    const sealedByDisabled = await seal(a.kms, disabled);
    await a.kms.send(new DisableKeyCommand({ KeyId: disabled }));
    a.kms.destroy();
    await a.server.stop();

    expect(fs.statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(stateFile))).toEqual(['kms.json']);

    const b = await startKms({ stateFile, aliases: ['alias/latchkey', 'alias/disabled'] });
    expect(b.server.keyArn('alias/disabled')).toBe(disabled);
    expect(b.server.keyArn('alias/latchkey')).toBe(arn);
    const back = await b.kms.send(new DecryptCommand({ CiphertextBlob: old.blob, EncryptionContext: { t: '1' } }));
    expect(back.KeyId).toBe(arn);
    expect(Buffer.from(back.Plaintext!).equals(old.plaintext)).toBe(true);
    expect(Buffer.from((await b.kms.send(new DecryptCommand({ CiphertextBlob: rotated.blob }))).Plaintext!).equals(rotated.plaintext)).toBe(true);
    expect((await failure(b.kms.send(new DecryptCommand({ CiphertextBlob: sealedByDisabled.blob })))).name).toBe('DisabledException');
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
