import { database } from '../support/handles';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testAdminUrl } from '../support/databases';
import { readJson, startTestStack, type TestStack } from '../support/local-stack';

/**
 * `npm run sweep -- <name|all> [--now <ISO-8601>]` as an operator runs it: against a database the
 * stack uses, as of a chosen instant, printing what it did.
 */

const ROOT = path.resolve(__dirname, '../..');
let t: TestStack;
let dataDir: string;

beforeAll(async () => {
  t = await startTestStack();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-sweep-cli-'));
}, 60_000);

afterAll(async () => {
  await t?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function sweep(...args: string[]) {
  return spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['bin/sweep.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LATCHKEY_DATABASE_URL: testAdminUrl(), LATCHKEY_DATABASE_NAME: t.stack.env.LATCHKEY_DB_NAME, LATCHKEY_DATA_DIR: dataDir },
  });
}

const sessions = async () => (await database().query<{ n: number }>('SELECT count(*)::int AS n FROM connect_sessions'))[0].n;

test('a sweep runs "as of" --now: nothing is due a minute before expiry, everything once it has passed', async () => {
  const created = await readJson(await t.api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'cli-user' } } }));
  expect(created.status).toBe(201);
  t.secrets.register(created.body.data.token);
  const expiresAt = new Date(created.body.data.expires_at).getTime();

  const early = sweep('expired-sessions', '--now', new Date(expiresAt - 60_000).toISOString());
  expect(early.status).toBe(0);
  expect(early.stdout).toContain('expired-sessions');
  expect(early.stdout).toMatch(/connectSessionsDeleted=0/);
  expect(await sessions()).toBe(1);

  const late = sweep('expired-sessions', '--now', new Date(expiresAt + 1_000).toISOString());
  expect(late.status).toBe(0);
  expect(late.stdout).toMatch(/connectSessionsDeleted=1/);
  expect(await sessions()).toBe(0);
}, 120_000);

test('`all` runs every sweep; bad arguments print the usage and exit 2', async () => {
  const all = sweep('all', '--now', '2030-01-01T00:00:00Z');
  expect(all.status).toBe(0);
  for (const name of ['expired-sessions', 'audit-retention', 'prune-records', 'stale-syncs', 'orphans', 'deleted-connections']) expect(all.stdout).toContain(name);
  for (const args of [['nope'], ['all', '--now', 'yesterday'], []]) {
    const bad = sweep(...args);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: npm run sweep --');
  }
}, 180_000);
