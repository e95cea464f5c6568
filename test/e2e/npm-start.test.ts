import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../local/postgres';
import { loadMigrations } from '../../lambdas/platform/db/migrator';
import { Nango } from '@nangohq/node';
import { WebhookReceiver } from '../support/webhook-receiver';

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

  test('the console: the banner last, one short line per request without its query, warnings in one line, JSON logs only with LATCHKEY_LOG_FORMAT=json', async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    // Non-retryable: the webhooks function logs a warning the console must show.
    receiver.mode = { status: 400, body: 'no' };
    const quietDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-console-'));
    const run = await npmStart({ LATCHKEY_DATA_DIR: quietDir, PORT: String(await freePort()) });
    try {
      // Nothing follows the banner until a request comes, not even the schedules' first runs.
      await new Promise((r) => setTimeout(r, 2_000));
      const banner = run.output();
      expect(banner.trimEnd().split('\n').at(-1)).toBe('  Stop with Ctrl-C.');
      expect(banner).toMatch(/^ {2}Webhooks: .*\/environment\/webhook-signing-key$/m);
      expect(banner).not.toMatch(/^\{/m);

      const { baseUrl, secretKey } = run.banner;
      const api = (p: string, init: { method?: string; json?: unknown } = {}) =>
        fetch(`${baseUrl}${p}`, {
          method: init.method ?? 'GET',
          headers: { authorization: `Bearer ${secretKey}`, 'content-type': 'application/json' },
          body: init.json === undefined ? undefined : JSON.stringify(init.json),
        });
      const provider = { display_name: 'Keyed', auth_mode: 'API_KEY', allow_private_network: true, proxy: { base_url: 'http://127.0.0.1:9', headers: { authorization: 'Bearer ${apiKey}' } } };
      expect((await api('/providers/keyed', { method: 'PUT', json: provider })).status).toBe(201);
      expect((await api('/integrations', { method: 'POST', json: { provider: 'keyed', unique_key: 'keyed' } })).status).toBe(200);
      expect((await api('/environment', { method: 'PATCH', json: { webhook_url: receiver.url('/hook') } })).status).toBe(200);
      const session = (await (await api('/connect/sessions', { method: 'POST', json: { end_user: { id: 'console-user' } } })).json()) as { data: { token: string } };
      const token = session.data.token;
      const connected = await fetch(`${baseUrl}/api-auth/api-key/keyed?connect_session_token=${token}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiKey: 'console-api-key-0123' }) });
      expect(connected.status).toBe(200);
      // Query strings that carry secrets in real flows.
      const secrets = ['code-5d1e7f0a', 'state-9b2c4e6d', 'session-token-3a8f'];
      await fetch(`${baseUrl}/oauth/callback?code=${secrets[0]}&state=${secrets[1]}`);
      await fetch(`${baseUrl}/oauth/connect/keyed?connect_session_token=${secrets[2]}`);
      const deadline = Date.now() + 20_000;
      while (!/ warn webhooks: /.test(run.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

      const after = run.output().slice(banner.length);
      const lines = after.split('\n').filter(Boolean);
      // The webhook that failed was signed with the key the banner's command reads: no rotation needed.
      const command = /^ {2}Webhooks: .*curl -s -H "Authorization: Bearer ([0-9a-f-]{36})" (http:\/\/\S+)$/m.exec(banner);
      expect(command?.[1]).toBe(secretKey);
      const signing = (await (await fetch(command![2], { headers: { authorization: `Bearer ${command![1]}` } })).json()) as { data: { webhook_signing_key: string } };
      const [hook] = receiver.requests;
      expect(new Nango({ secretKey, host: baseUrl, webhookSigningKey: signing.data.webhook_signing_key }).verifyIncomingWebhookRequest(hook.body, hook.headers as Record<string, string>)).toBe(true);
      expect(lines).toContain(`[latchkey] POST /api-auth/api-key/keyed 200 ${/POST \/api-auth\/api-key\/keyed 200 (\d+) ms/.exec(after)?.[1]} ms connect`);
      expect(after).toMatch(/^\[latchkey\] PUT \/providers\/keyed 201 \d+ ms api$/m);
      expect(after).toMatch(/^\[latchkey\] GET \/oauth\/callback 400 \d+ ms connect$/m);
      expect(after).toMatch(/^\[latchkey\] GET \/oauth\/connect\/keyed 401 \d+ ms connect$/m);
      expect(after).toMatch(/^warn webhooks: webhook delivery failed \(status 400\)$/m);
      for (const secret of [...secrets, token, secretKey, 'console-api-key-0123']) expect(after).not.toContain(secret);
      // Every line is a request line or a warning: no JSON, no request ids.
      for (const line of lines) expect(line).toMatch(/^(\[latchkey\] [A-Z]+ \/\S* \d{3} \d+ ms [a-z-]+|warn [a-z]+: .+)$/);
    } finally {
      await interrupt(run);
      await receiver.stop();
    }

    // The same stack with the functions' structured logs: Powertools JSON, as Lambda writes them.
    const verbose = await npmStart({ LATCHKEY_DATA_DIR: quietDir, PORT: String(await freePort()), LATCHKEY_LOG_FORMAT: 'json' });
    try {
      const before = verbose.output().length;
      expect((await fetch(`${verbose.banner.baseUrl}/health`)).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while (!/GET \/health 200/.test(verbose.output().slice(before)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const json = verbose
        .output()
        .slice(before)
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(json).toContainEqual(expect.objectContaining({ level: 'INFO', service: 'latchkey', function_name: expect.stringMatching(/-api$/) }));
      expect(verbose.output()).toMatch(/^\[latchkey\] GET \/health 200 \d+ ms api$/m);
    } finally {
      await interrupt(verbose);
      fs.rmSync(quietDir, { recursive: true, force: true });
    }
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
