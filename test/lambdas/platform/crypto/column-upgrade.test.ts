import { database } from '../../../support/handles';
import { randomBytes } from 'node:crypto';
import { env } from '../../../../lambdas/platform/config';
import { reencryptColumn, type EncryptedColumn } from '../../../../lambdas/platform/crypto/column-upgrade';
import { EnvelopeCipher } from '../../../../lambdas/platform/crypto/envelope-cipher';
import { decodeEnvelope } from '../../../../lambdas/platform/crypto/envelope-format';
import { createKmsClient } from '../../../../lambdas/platform/crypto/kms';
import type { SqlExecutor } from '../../../../lambdas/platform/db/data-api';
import { uuid } from '../../../../lambdas/platform/db/parameters';
import { startTestStack, type TestStack } from '../../../support/local-stack';

let t: TestStack;
let environmentId: string;
beforeAll(async () => {
  t = await startTestStack();
  [{ id: environmentId }] = await database().query<{ id: string }>("SELECT id::text AS id FROM environments WHERE name = 'dev'");
});
afterAll(() => t.stop());
beforeEach(async () => {
  await database().query('DELETE FROM integrations');
  t.stack.dataApi.control.resetStats();
  t.stack.kms.control.resetStats();
});

const SECRETS: EncryptedColumn = { table: 'integrations', column: 'client_secret', purpose: 'integration-secret' };
const newCipher = () => new EnvelopeCipher({ kms: createKmsClient(), keyId: env().LATCHKEY_KMS_KEY_ID });
const bindingFor = (rowId: string) => ({ environmentId, purpose: 'integration-secret' as const, table: 'integrations', rowId, field: 'client_secret' });
const wrapped = (envelope: Buffer) => decodeEnvelope(envelope).wrappedKey.toString('hex');

/** Rows with ids in insertion order and secrets `secret-<i>` (payload bytes per secret: `size`). */
async function seed(count: number, size = 0): Promise<string[]> {
  const writer = newCipher();
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const secret = `secret-${i}` + 'x'.repeat(size);
    await database().query(
      "INSERT INTO integrations (id, environment_id, unique_key, provider, client_secret) VALUES (:id, :env, :key, 'github', :secret)",
      { id: uuid(id), env: uuid(environmentId), key: `gh-${i}`, secret: await writer.encrypt(secret, bindingFor(id)) },
    );
    ids.push(id);
  }
  return ids;
}

async function stored(): Promise<Map<string, Buffer>> {
  const rows = await database().query<{ id: string; client_secret: Buffer }>('SELECT id::text AS id, client_secret FROM integrations ORDER BY id');
  return new Map(rows.map((r) => [r.id, r.client_secret]));
}

async function plaintexts(): Promise<string[]> {
  const reader = newCipher();
  return Promise.all([...(await stored())].map(async ([id, envelope]) => String(await reader.decrypt(envelope, bindingFor(id)))));
}

describe('reencryptColumn', () => {
  test('rewrites every row in batches with one new data key, one SELECT and one UPDATE per batch', async () => {
    const ids = await seed(20);
    const before = await stored();
    t.stack.dataApi.control.resetStats();
    t.stack.kms.control.resetStats();
    const report = await reencryptColumn(database(), newCipher(), SECRETS, { batchSize: 7 });
    expect(report).toEqual({ scanned: 20, upgraded: 20, skipped: 0, conflicts: 0, failed: [], lastId: ids[19] });
    // 3 pages, an empty one to finish, 3 updates.
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 7 });
    // The writer's single data key: 1 Decrypt; the upgrade's new key: 1 GenerateDataKey.
    expect(t.stack.kms.control.stats().calls).toEqual({ Decrypt: 1, GenerateDataKey: 1 });
    const after = await stored();
    const newKeys = new Set([...after.values()].map(wrapped));
    expect(newKeys.size).toBe(1);
    expect(newKeys.has(wrapped(before.get(ids[0])!))).toBe(false);
    expect(await plaintexts()).toEqual(ids.map((_, i) => `secret-${i}`));
  });

  test('compare-and-set: a row written concurrently keeps the concurrent value', async () => {
    const ids = await seed(5);
    const concurrent = await newCipher().encrypt('written meanwhile', bindingFor(ids[2]));
    const db = database();
    // Between the upgrade's read and its write, someone else updates row 2.
    const interleaving: SqlExecutor = {
      query: (sql, params) => db.query(sql, params),
      execute: async (sql, params) => {
        if (sql.trimStart().startsWith('UPDATE')) {
          await db.query('UPDATE integrations SET client_secret = :v WHERE id = :id', { v: concurrent, id: uuid(ids[2]) });
        }
        return db.execute(sql, params);
      },
    };
    const report = await reencryptColumn(interleaving, newCipher(), SECRETS);
    expect(report).toMatchObject({ scanned: 5, upgraded: 4, conflicts: 1, failed: [] });
    expect((await stored()).get(ids[2])!.equals(concurrent)).toBe(true);
    expect(await plaintexts()).toEqual(['secret-0', 'secret-1', 'written meanwhile', 'secret-3', 'secret-4']);
  });

  test('rows that do not decrypt are reported by id and reason and left alone; NULLs are not visited', async () => {
    const ids = await seed(3);
    const garbage = Buffer.concat([Buffer.from([1]), randomBytes(40)]);
    const moved = (await stored()).get(ids[0])!;
    await database().query('UPDATE integrations SET client_secret = :v WHERE id = :id', { v: garbage, id: uuid(ids[1]) });
    await database().query('UPDATE integrations SET client_secret = :v WHERE id = :id', { v: moved, id: uuid(ids[2]) });
    await database().query(
      "INSERT INTO integrations (id, environment_id, unique_key, provider) VALUES ('00000000-0000-4000-8000-999999999999', :env, 'no-secret', 'github')",
      { env: uuid(environmentId) },
    );
    const report = await reencryptColumn(database(), newCipher(), SECRETS);
    expect(report).toEqual({
      scanned: 3,
      upgraded: 1,
      skipped: 0,
      conflicts: 0,
      failed: [
        { id: ids[1], reason: 'malformed' },
        { id: ids[2], reason: 'authentication-failed' },
      ],
      lastId: ids[2],
    });
    const after = await stored();
    expect(after.get(ids[1])!.equals(garbage)).toBe(true);
    expect(after.get(ids[2])!.equals(moved)).toBe(true);
    expect(after.get('00000000-0000-4000-8000-999999999999')).toBeNull();
  });

  test('a KMS outage is thrown, not reported as rows that do not decrypt, and nothing is written', async () => {
    await seed(3);
    const before = await stored();
    t.stack.kms.control.injectFault({ operation: 'Decrypt', error: { code: 'KMSInternalException' } });
    try {
      await expect(reencryptColumn(database(), newCipher(), SECRETS)).rejects.toMatchObject({ name: 'KMSInternalException' });
    } finally {
      t.stack.kms.control.clearFaults();
    }
    expect(await stored()).toEqual(before);
  });

  test('only rewrites what the predicate selects (default: everything)', async () => {
    await seed(4);
    t.stack.kms.control.resetStats();
    const report = await reencryptColumn(database(), newCipher(), SECRETS, { only: (info) => info.version < 1 });
    expect(report).toMatchObject({ scanned: 4, upgraded: 0, skipped: 4 });
    expect(t.stack.kms.control.stats().calls).toEqual({});
  });

  test('resumes after the last id of an earlier run', async () => {
    const ids = await seed(6);
    const before = await stored();
    const report = await reencryptColumn(database(), newCipher(), SECRETS, { after: ids[3] });
    expect(report).toMatchObject({ scanned: 2, upgraded: 2, lastId: ids[5] });
    const after = await stored();
    expect(ids.map((id) => after.get(id)!.equals(before.get(id)!))).toEqual([true, true, true, true, false, false]);
  });

  test('a byte budget splits large envelopes into smaller batches (the Data API answers at most 1 MiB)', async () => {
    const ids = await seed(6, 30_000);
    t.stack.dataApi.control.resetStats();
    const report = await reencryptColumn(database(), newCipher(), SECRETS, { batchBytes: 70_000 });
    expect(report).toMatchObject({ scanned: 6, upgraded: 6, lastId: ids[5] });
    // Two envelopes per page: 3 pages + 1 empty, 3 updates.
    expect(t.stack.dataApi.control.stats().calls).toEqual({ ExecuteStatement: 7 });
    expect((await plaintexts()).map((p) => p.slice(0, 8))).toEqual(ids.map((_, i) => `secret-${i}`));
  });

  test('works for the environments table, whose own id is the environment', async () => {
    const writer = newCipher();
    const b = { environmentId, purpose: 'environment-secret' as const, table: 'environments', rowId: environmentId, field: 'webhook_signing_key' };
    await database().query('UPDATE environments SET webhook_signing_key = :v WHERE id = :id', { v: await writer.encrypt('whsec', b), id: uuid(environmentId) });
    const spec: EncryptedColumn = { table: 'environments', column: 'webhook_signing_key', purpose: 'environment-secret', environmentColumn: 'id' };
    // Every environment has a signing key from its creation on: all of them are upgraded.
    const [{ n }] = await database().query<{ n: number }>('SELECT count(*)::int AS n FROM environments WHERE webhook_signing_key IS NOT NULL');
    expect(n).toBeGreaterThanOrEqual(2);
    expect(await reencryptColumn(database(), newCipher(), spec)).toMatchObject({ upgraded: n, failed: [] });
    const [row] = await database().query<{ v: Buffer }>('SELECT webhook_signing_key AS v FROM environments WHERE id = :id', { id: uuid(environmentId) });
    expect(String(await newCipher().decrypt(row.v, b))).toBe('whsec');
  });

  test('refuses anything but plain identifiers', async () => {
    await expect(reencryptColumn(database(), newCipher(), { ...SECRETS, table: 'integrations; DROP TABLE x' })).rejects.toBeInstanceOf(TypeError);
    await expect(reencryptColumn(database(), newCipher(), { ...SECRETS, column: 'Client"Secret' })).rejects.toBeInstanceOf(TypeError);
  });
});
