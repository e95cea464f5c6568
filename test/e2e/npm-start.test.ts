import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../local/postgres';
import { loadMigrations } from '../../lambdas/platform/db/migrator';

const REPO = path.resolve(__dirname, '../..');

interface Running {
  child: ChildProcess;
  output: () => string;
  banner: { baseUrl: string; secretKey: string };
}

/** Runs `npm start` exactly as a user would and waits for its banner. */
async function npmStart(env: Record<string, string>): Promise<Running> {
  const child = spawn('npm', ['start', '--silent'], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const url = /running at (http:\/\/\S+)/.exec(output)?.[1];
    const key = /Secret key:\s+([0-9a-f-]{36})/.exec(output)?.[1];
    if (url && key) return { child, output: () => output, banner: { baseUrl: url, secretKey: key } };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(-(child.pid as number), 'SIGKILL');
  throw new Error(`npm start did not come up:\n${output}`);
}

/**
 * Ctrl-C in a terminal signals the whole foreground process group: npm, tsx and our process.
 * npm may exit before our process has finished stopping; the output pipes close only when every
 * process holding them has exited, so waiting for 'close' waits for the stack itself.
 */
async function interrupt(run: Running): Promise<void> {
  const exited = new Promise<void>((resolve) => run.child.once('close', () => resolve()));
  process.kill(-(run.child.pid as number), 'SIGINT');
  await exited;
}

describe('npm start', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-start-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('serves /health, prints the pinned key, stops on Ctrl-C and comes back on the same data', async () => {
    const port = String(await freePort());
    const secretKey = randomUUID();
    const env = { LATCHKEY_DATA_DIR: dataDir, PORT: port, LATCHKEY_SECRET_KEY: secretKey, POWERTOOLS_LOG_LEVEL: 'WARN' };

    const first = await npmStart(env);
    expect(first.banner).toEqual({ baseUrl: `http://127.0.0.1:${port}`, secretKey });
    const health = await fetch(`${first.banner.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: { reachable: true, schemaVersion: loadMigrations().length } });
    expect(first.output()).toMatch(new RegExp(`applied ${loadMigrations().map((m) => m.version).join(', ')}\\)`));
    await interrupt(first);
    expect(first.output()).toMatch(/\[latchkey\] stopped/);
    // PostgreSQL shut down cleanly: it removes its pid file only then.
    expect(fs.existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    // Second start: same data, nothing to migrate, the stored key is printed again without pinning.
    const { LATCHKEY_SECRET_KEY: _pinned, ...unpinned } = env;
    const second = await npmStart(unpinned);
    expect(second.banner.secretKey).toBe(secretKey);
    expect(second.output()).not.toMatch(/applied/);
    expect((await fetch(`${second.banner.baseUrl}/health`)).status).toBe(200);
    await interrupt(second);
    expect(second.output()).toMatch(/\[latchkey\] stopped/);
  }, 240_000);

  test('refuses a pinned key that is not a UUID v4', async () => {
    const child = spawn('npm', ['start', '--silent'], {
      cwd: REPO,
      env: { ...process.env, LATCHKEY_DATA_DIR: dataDir, PORT: String(await freePort()), LATCHKEY_SECRET_KEY: 'not-a-key' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (c) => (output += c));
    child.stderr?.on('data', (c) => (output += c));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output).toMatch(/LATCHKEY_SECRET_KEY must be a UUID v4/);
  }, 60_000);
});
