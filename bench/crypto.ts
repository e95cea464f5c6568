/**
 * Crypto section of `npm run bench`: encrypt+decrypt pairs per second for 1 KB and 16 KB blobs,
 * in one run, for
 *   - bare Node AES-256-GCM (fixed key, random IV: the floor every envelope scheme pays),
 *   - ours (EnvelopeCipher, warm data key cache, KMS stand-in; KMS calls counted),
 *   - the AWS Encryption SDK for JavaScript with a raw AES keyring behind its caching materials
 *     manager, with its default (ECDSA-signing) suite and with the committing suite without signing,
 * then the KMS calls of 10 000 warm reads of one environment's secrets.
 *
 * Cases are measured in alternating rounds and each reports its median round, so a busy machine
 * slows all of them alike instead of skewing the ratios.
 *
 *   BENCH_CRYPTO_MS (default 2000): measuring time per case, split into BENCH_CRYPTO_ROUNDS (5).
 */
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
} from '@aws-crypto/client-node';
import { KMSClient } from '@aws-sdk/client-kms';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { CipherBinding } from '../lambdas/platform/crypto/binding';
import { EnvelopeCipher } from '../lambdas/platform/crypto/envelope-cipher';
import { KmsServer } from '../local/kms';

const MEASURE_MS = Number(process.env.BENCH_CRYPTO_MS ?? 2000);
const ROUNDS = Number(process.env.BENCH_CRYPTO_ROUNDS ?? 5);
const SIZES = [1024, 16 * 1024];
const ALIAS = 'alias/latchkey';
const ENVIRONMENT = '9a6c2b1e-0000-4000-8000-000000000001';

type Pair = (plaintext: Buffer) => Promise<unknown> | unknown;

interface Result {
  name: string;
  size: number;
  pairsPerSecond: number;
  pairs: number;
  kmsCalls?: number;
}

interface Case {
  name: string;
  pair: Pair;
  /** Counts KMS calls made while this case runs. */
  kms?: KmsServer;
}

/** Runs `pair` for `ms`. */
async function measure(pair: Pair, plaintext: Buffer, ms: number): Promise<{ pairsPerSecond: number; pairs: number }> {
  let pairs = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    // Check the clock every 64 pairs so timing does not dominate tiny operations.
    for (let i = 0; i < 64; i += 1) await pair(plaintext);
    pairs += 64;
    now = performance.now();
  }
  return { pairsPerSecond: (pairs * 1000) / (now - start), pairs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const totalCalls = (server: KmsServer) => Object.values(server.control.stats().calls).reduce((a, b) => a + b, 0);

/** Warms every case up, then measures them in alternating rounds. */
async function compare(cases: Case[], size: number): Promise<Result[]> {
  const plaintext = randomBytes(size);
  for (const c of cases) await measure(c.pair, plaintext, Math.min(300, MEASURE_MS / 4));
  const rates = cases.map(() => [] as number[]);
  const pairs = cases.map(() => 0);
  const kmsCalls = cases.map(() => 0);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [i, c] of cases.entries()) {
      c.kms?.control.resetStats();
      const m = await measure(c.pair, plaintext, MEASURE_MS / ROUNDS);
      rates[i].push(m.pairsPerSecond);
      pairs[i] += m.pairs;
      if (c.kms) kmsCalls[i] += totalCalls(c.kms);
    }
  }
  return cases.map((c, i) => ({ name: c.name, size, pairsPerSecond: median(rates[i]), pairs: pairs[i], ...(c.kms ? { kmsCalls: kmsCalls[i] } : {}) }));
}

/** The floor: no envelope, no AAD, no copies; one CSPRNG call per IV as plain code would make. */
function bareAesGcm(): Pair {
  const key = randomBytes(32);
  return (plaintext) => {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const body = c.update(plaintext);
    c.final();
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(c.getAuthTag());
    const out = d.update(body);
    d.final();
    return out;
  };
}

function ours(cipher: EnvelopeCipher): Pair {
  let row = 0;
  const bindings: CipherBinding[] = Array.from({ length: 256 }, () => ({
    environmentId: ENVIRONMENT,
    purpose: 'connection-credentials',
    table: 'connections',
    rowId: randomUUID(),
    field: 'credentials',
  }));
  return async (plaintext) => {
    const binding = bindings[(row = (row + 1) & 255)];
    return cipher.decrypt(await cipher.encrypt(plaintext, binding), binding);
  };
}

function esdk(suiteId: AlgorithmSuiteIdentifier | undefined): Pair {
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const keyring = new RawAesKeyringNode({
    keyName: 'bench',
    keyNamespace: 'latchkey',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cmm = new NodeCachingMaterialsManager({
    backingMaterials: keyring,
    cache: getLocalCryptographicMaterialsCache(1000),
    maxAge: 5 * 60_000,
    maxMessagesEncrypted: 10_000,
  });
  const encryptionContext = { environment: ENVIRONMENT, purpose: 'connection-credentials' };
  return async (plaintext) => {
    const { result } = await encrypt(cmm, plaintext, { encryptionContext, ...(suiteId === undefined ? {} : { suiteId }) });
    return (await decrypt(cmm, result)).plaintext;
  };
}

function table(results: Result[]): void {
  for (const size of SIZES) {
    const rows = results.filter((r) => r.size === size);
    const bare = rows.find((r) => r.name.startsWith('bare'))!.pairsPerSecond;
    console.log(`\n${size / 1024} KB blobs: encrypt+decrypt pairs per second (median of ${ROUNDS} alternating rounds)`);
    console.log(`  ${'implementation'.padEnd(62)} ${'pairs/s'.padStart(9)} ${'× bare'.padStart(7)}  KMS calls while measuring`);
    for (const r of rows) {
      // A data key encrypts at most 10 000 messages, so long runs do make a few GenerateDataKey calls.
      const kms = r.kmsCalls === undefined ? '-' : `${r.kmsCalls} in ${r.pairs} pairs`;
      console.log(`  ${r.name.padEnd(62)} ${Math.round(r.pairsPerSecond).toString().padStart(9)} ${(r.pairsPerSecond / bare).toFixed(2).padStart(7)}  ${kms}`);
    }
  }
}

/** A cold reader meets 10 000 envelopes of one environment, all written under one data key. */
async function warmReads(server: KmsServer, client: KMSClient): Promise<void> {
  const writer = new EnvelopeCipher({ kms: client, keyId: ALIAS });
  const items = Array.from({ length: 10_000 }, () => ({
    environmentId: ENVIRONMENT,
    purpose: 'environment-secret' as const,
    table: 'environments',
    rowId: randomUUID(),
    field: 'webhook_signing_key',
  }));
  const envelopes = await Promise.all(items.map((b) => writer.encrypt(randomBytes(64), b)));
  const reader = new EnvelopeCipher({ kms: client, keyId: ALIAS });
  server.control.resetStats();
  await reader.decrypt(envelopes[0], items[0]);
  const first = server.control.stats().calls;
  server.control.resetStats();
  for (let i = 0; i < items.length; i += 1) await reader.decrypt(envelopes[i], items[i]);
  const after = totalCalls(server);
  console.log(`\n10 000 warm reads of one environment's secrets → ${after} KMS calls after the first (the first read: ${JSON.stringify(first)})`);
}

export async function benchCrypto(): Promise<void> {
  const server = new KmsServer({ aliases: [ALIAS] });
  const url = await server.start();
  try {
    const client = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const cipher = new EnvelopeCipher({ kms: client, keyId: ALIAS });
    const results: Result[] = [];
    server.control.resetStats();
    await ours(cipher)(Buffer.alloc(1));
    console.log(`ours, cold start: ${JSON.stringify(server.control.stats().calls)} for the first encryption`);
    for (const size of SIZES) {
      const cases: Case[] = [
        { name: 'bare Node AES-256-GCM (fixed key, randomBytes IV, no copies)', pair: bareAesGcm() },
        { name: 'ours: EnvelopeCipher, warm data key cache', pair: ours(cipher), kms: server },
        { name: 'AWS Encryption SDK, caching CMM, default suite (ECDSA P-384)', pair: esdk(undefined) },
        { name: 'AWS Encryption SDK, caching CMM, committing suite, no signature', pair: esdk(AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY) },
      ];
      results.push(...(await compare(cases, size)));
    }
    table(results);
    const target = results.find((r) => r.size === 1024 && r.name.startsWith('ours'))!.pairsPerSecond / results.find((r) => r.size === 1024)!.pairsPerSecond;
    console.log(`\nTarget: ours ≥ 0.50 × bare for 1 KB → ${target.toFixed(2)} × (${target >= 0.5 ? 'met' : 'NOT met'})`);
    await warmReads(server, client);
  } finally {
    await server.stop();
  }
}
