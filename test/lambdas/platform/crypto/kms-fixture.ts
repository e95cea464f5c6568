import { KMSClient } from '@aws-sdk/client-kms';
import { randomUUID } from 'node:crypto';
import { KmsServer, type KmsServerOptions } from '../../../../local/kms';
import type { CipherBinding } from '../../../../lambdas/platform/crypto/binding';
import { DecryptionError, type DecryptionFailure } from '../../../../lambdas/platform/crypto/decryption-error';
import { EnvelopeCipher, type EnvelopeCipherOptions } from '../../../../lambdas/platform/crypto/envelope-cipher';

export const ALIAS = 'alias/latchkey';

export interface KmsFixture {
  server: KmsServer;
  url: string;
  /** A client without the SDK's retries, so injected faults surface at once unless a test wants them. */
  client: KMSClient;
  arn: string;
  stop(): Promise<void>;
}

/** The KMS stand-in alone, for tests that need no database. */
export async function startKms(options: KmsServerOptions = {}): Promise<KmsFixture> {
  const server = new KmsServer({ aliases: [ALIAS], ...options });
  const url = await server.start();
  const client = kmsClient(url);
  return { server, url, client, arn: server.keyArn(ALIAS), stop: () => server.stop() };
}

/**
 * The stand-in for one test file: started before all tests, counters and faults cleared before
 * each. The returned object is filled in by beforeAll.
 */
export function useKms(options: KmsServerOptions = {}): KmsFixture {
  const fixture = {} as KmsFixture;
  beforeAll(async () => Object.assign(fixture, await startKms(options)));
  afterAll(() => fixture.stop());
  beforeEach(() => {
    fixture.server.control.resetStats();
    fixture.server.control.clearFaults();
  });
  return fixture;
}

/** A cipher on the fixture's key (a new one is a new, cold process). */
export function cipherOn(kms: KmsFixture, options: Partial<EnvelopeCipherOptions> = {}): EnvelopeCipher {
  return new EnvelopeCipher({ kms: kms.client, keyId: ALIAS, ...options });
}

/** A real SDK client whose answers to one command are edited on the way back (KMS answering without a part). */
export function editedKmsClient(url: string, command: abstract new (...args: never[]) => object, edit: (out: Record<string, unknown>) => void): KMSClient {
  const client = kmsClient(url);
  const send = client.send.bind(client) as (c: unknown) => Promise<Record<string, unknown>>;
  return Object.assign(client, {
    send: async (c: unknown) => {
      const out = await send(c);
      if (c instanceof command) edit(out);
      return out;
    },
  }) as KMSClient;
}

/** Edits for `editedKmsClient`: a KMS answer without one of its parts. */
export const KMS_ANSWER_EDITS = {
  noPlaintext: (out: Record<string, unknown>) => void delete out.Plaintext,
  shortPlaintext: (out: Record<string, unknown>) => void (out.Plaintext = (out.Plaintext as Uint8Array).subarray(0, 16)),
  noCiphertextBlob: (out: Record<string, unknown>) => void delete out.CiphertextBlob,
  noKeyId: (out: Record<string, unknown>) => void delete out.KeyId,
};

export function kmsClient(url: string, maxAttempts = 1): KMSClient {
  return new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts });
}

/** The reason a decrypt fails with; any other outcome fails the test. */
export async function decryptionFailure(promise: Promise<unknown>): Promise<DecryptionFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DecryptionError) return err.reason;
    throw err;
  }
  throw new Error('decrypted although it should not have');
}

/** A settable clock for the cache's age limit. */
export function manualClock(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const clock = () => new Date(now);
  return Object.assign(clock, { advance: (ms: number) => void (now += ms) });
}

export function binding(overrides: Partial<CipherBinding> = {}): CipherBinding {
  return {
    environmentId: '11111111-1111-4111-8111-111111111111',
    purpose: 'connection-credentials',
    table: 'connections',
    rowId: randomUUID(),
    field: 'credentials',
    ...overrides,
  };
}
