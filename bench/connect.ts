/**
 * Connect section of `npm run bench`: complete OAuth2 authorization-code flows (authorize →
 * the provider's login and consent forms → callback → connection stored), against a real
 * authorization server (oidc-provider) on loopback. Reports, per step of our own, the Data API
 * statements and KMS calls the request made (read from the function's own per-request counters,
 * so the webhook delivery each flow triggers is not counted against it), cold (first flow of the
 * process) and warm, and the flows per second end to end next to the provider-only part
 * (sign-in, consent and the code) of the same flows.
 *
 *   BENCH_FLOWS (default 30)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalStack } from '../local/stack';
import { benchOAuthIntegration } from './oauth-world';
import { HttpBrowser } from '../test/support/http-browser';
import { OAUTH_TEST_PASSWORD, startOAuthServer } from '../test/support/oauth-server';

const FLOWS = Number(process.env.BENCH_FLOWS ?? 30);

interface RequestLine {
  message?: string;
  http?: { route?: string; status?: number };
  dbStatements?: number;
  kmsCalls?: number;
}

/** The functions' `request` log lines, read off stdout while the bench runs; their other JSON lines are dropped. */
function captureRequestLines(): { lines: RequestLine[]; stop(): void } {
  const lines: RequestLine[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    const kept = text.split('\n').filter((line) => {
      if (!line.startsWith('{')) return true;
      try {
        const parsed = JSON.parse(line) as RequestLine;
        if (parsed.message === 'request') lines.push(parsed);
      } catch {
        return true;
      }
      return false;
    });
    return kept.join('\n').trim() ? write(kept.join('\n'), ...(rest as [])) : true;
  }) as typeof process.stdout.write;
  return { lines, stop: () => (process.stdout.write = write) };
}

export async function benchConnect(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bench-'));
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const capture = captureRequestLines();
  const stack = await LocalStack.start({ dataDir, databaseUrl: process.env.LATCHKEY_DATABASE_URL });
  const server = await startOAuthServer({ interactive: true, redirectUris: [`${stack.baseUrl}/oauth/callback`] });
  try {
    const { api } = await benchOAuthIntegration(stack, server);

    let ourMs = 0;
    let providerMs = 0;
    const started = Date.now();
    for (let i = 0; i < FLOWS; i += 1) {
      const session = (await (await api('/connect/sessions', { end_user: { id: `bench-${i}` } })).json()) as { data: { token: string } };
      const browser = new HttpBrowser();
      const atCallback = (u: URL) => u.pathname.endsWith('/oauth/callback');
      let t0 = Date.now();
      const signIn = await browser.open(`${stack.baseUrl}/oauth/connect/bench-oidc?connect_session_token=${session.data.token}`);
      const authorizeMs = Date.now() - t0;
      t0 = Date.now();
      const consent = await browser.submit(signIn, '/login', { login: 'bench', password: OAUTH_TEST_PASSWORD });
      const callback = await browser.submit(consent, '/confirm', {}, atCallback);
      providerMs += Date.now() - t0;
      t0 = Date.now();
      const done = await browser.open(callback.url);
      ourMs += Date.now() - t0 + authorizeMs;
      if (done.status !== 200) throw new Error(`flow ${i} ended with ${done.status}`);
    }
    const elapsed = Date.now() - started;
    capture.stop();

    const steps = (route: string) => capture.lines.filter((l) => l.http?.route === route);
    const authorize = steps('/oauth/connect/{providerConfigKey}');
    const callback = steps('/oauth/callback');
    const row = (name: string, lines: RequestLine[]) => {
      const warm = lines.slice(1);
      const avg = (f: (l: RequestLine) => number) => (warm.reduce((a, l) => a + f(l), 0) / Math.max(1, warm.length)).toFixed(2);
      return `${name.padEnd(38)} ${String(lines[0]?.dbStatements).padStart(10)} ${String(lines[0]?.kmsCalls).padStart(9)} ${avg((l) => l.dbStatements ?? 0).padStart(12)} ${avg((l) => l.kmsCalls ?? 0).padStart(9)}`;
    };
    console.log(`${'step'.padEnd(38)} ${'cold stmts'.padStart(10)} ${'cold KMS'.padStart(9)} ${'warm stmts'.padStart(12)} ${'warm KMS'.padStart(9)}`);
    console.log(row('GET /oauth/connect/{pck} (302)', authorize));
    console.log(row('GET /oauth/callback (200)', callback));
    const total = (l: RequestLine[]) => l.slice(1).reduce((a, x) => a + (x.dbStatements ?? 0), 0) / Math.max(1, l.length - 1);
    const kms = (l: RequestLine[]) => l.slice(1).reduce((a, x) => a + (x.kmsCalls ?? 0), 0) / Math.max(1, l.length - 1);
    console.log(`one complete flow, warm: ${(total(authorize) + total(callback)).toFixed(2)} Data API statements, ${(kms(authorize) + kms(callback)).toFixed(2)} KMS calls (cold: ${(authorize[0]?.dbStatements ?? 0) + (callback[0]?.dbStatements ?? 0)} statements, ${(authorize[0]?.kmsCalls ?? 0) + (callback[0]?.kmsCalls ?? 0)} KMS calls)`);
    console.log(`${FLOWS} flows in ${elapsed} ms (${((FLOWS * 1000) / elapsed).toFixed(1)} flows/s sequential, connect session creation included); per flow: our two steps ${(ourMs / FLOWS).toFixed(1)} ms (the callback includes the provider's token endpoint), the provider's sign-in and consent ${(providerMs / FLOWS).toFixed(1)} ms`);
  } finally {
    capture.stop();
    await server.stop();
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
