/**
 * `npm run sweep -- <name|all> [--now <ISO-8601>]`: runs retention sweeps against the local
 * stack's database "as of" any instant (default: now) and prints what each did.
 *
 * The database is found the way `npm start` finds it: LATCHKEY_DATABASE_URL when set; otherwise the
 * embedded PostgreSQL in LATCHKEY_DATA_DIR (.latchkey): if `npm start` is running, its server is
 * used (port from postmaster.pid), else the server is started on the same data folder for the
 * duration of the command. The sweeps run through the real sweeps handler, over the Data API
 * stand-in, invocation after invocation until none reports its budget exhausted.
 */
import fs from 'node:fs';
import path from 'node:path';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The handler's JSON log lines and metric documents are for CloudWatch; here the summary is the output.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

import { LocalStack } from '../local/stack';
import { invokeLocal, localFunction } from '../local/lambda-context';
import { LOCAL_POSTGRES_PASSWORD } from '../local/postgres';
import { SCHEDULES } from '../lib/topology';

/** Invocations per sweep at most: each is bounded by the function's timeout, as in AWS. */
const MAX_INVOCATIONS = 100;

function usage(message?: string): never {
  if (message) console.error(message);
  const names = SCHEDULES.filter((s) => s.function === 'sweeps').map((s) => s.name);
  console.error(`usage: npm run sweep -- <${[...names, 'all'].join('|')}> [--now <ISO-8601>]`);
  process.exit(2);
}

function parseArgs(argv: string[]): { names: string[]; now: Date } {
  const sweeps = SCHEDULES.filter((s) => s.function === 'sweeps').map((s) => String(s.input.sweep));
  let now = new Date();
  const names: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--now') {
      const value = argv[++i];
      if (!value || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) || Number.isNaN(Date.parse(value))) usage(`--now takes an ISO-8601 instant, got ${value ?? 'nothing'}`);
      now = new Date(value);
    } else if (argv[i] === 'all') names.push(...sweeps);
    else if (sweeps.includes(argv[i])) names.push(argv[i]);
    else usage(`unknown sweep ${argv[i]}`);
  }
  if (names.length === 0) usage();
  return { names: [...new Set(names)], now };
}

/** The running `npm start`'s embedded server, if there is one. */
function runningEmbeddedServer(dataDir: string): string | undefined {
  const pidFile = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return undefined;
  const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined;
  }
  return Number.isInteger(port) && port > 0 ? `postgres://postgres:${LOCAL_POSTGRES_PASSWORD}@127.0.0.1:${port}/postgres` : undefined;
}

async function main(): Promise<void> {
  const { names, now } = parseArgs(process.argv.slice(2));
  const dataDir = path.resolve(process.env.LATCHKEY_DATA_DIR ?? '.latchkey');
  const databaseUrl = process.env.LATCHKEY_DATABASE_URL ?? runningEmbeddedServer(dataDir);
  const where = process.env.LATCHKEY_DATABASE_URL ? 'LATCHKEY_DATABASE_URL' : databaseUrl ? `the running npm start (${dataDir})` : `embedded PostgreSQL in ${dataDir}`;
  // LATCHKEY_DATABASE_NAME: another database on that server than npm start's `latchkey` (tests use their own).
  const stack = await LocalStack.start({ dataDir, databaseUrl, port: 0, database: process.env.LATCHKEY_DATABASE_NAME });
  try {
    console.log(`Sweeping ${where} as of ${now.toISOString()}`);
    for (const name of names) {
      const totals: Record<string, number> = {};
      const started = Date.now();
      let invocations = 0;
      for (;;) {
        invocations += 1;
        const outcome = await invokeLocal(stack.handlers.sweeps, { sweep: name, scheduledTime: now.toISOString() }, localFunction('sweeps'));
        if (!outcome.ok) throw new Error(`${name} failed: ${outcome.errorType}: ${outcome.errorMessage}`);
        const result = outcome.result as Record<string, unknown>;
        let exhausted = false;
        for (const [key, value] of Object.entries(result)) {
          if (typeof value !== 'number') continue;
          if (key.endsWith('BudgetExhausted')) exhausted ||= value > 0;
          else totals[key] = (totals[key] ?? 0) + value;
        }
        if (!exhausted || invocations >= MAX_INVOCATIONS) break;
      }
      const counts = Object.entries(totals).map(([k, v]) => `${k}=${v}`).join(' ');
      console.log(`  ${name.padEnd(20)} ${counts || '(nothing counted)'}  [${invocations} invocation${invocations > 1 ? 's' : ''}, ${Date.now() - started} ms]`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error('sweep failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
