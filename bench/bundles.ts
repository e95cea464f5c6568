/**
 * Bundles section of `npm run bench`: what each Lambda costs before it handles anything.
 *
 * Every function of lib/topology.ts (runtime and deploy-time) is bundled exactly as the stack
 * bundles it (lib/bundling.ts), then reported with its size (goal: under 1 MB) and its cold
 * import time, i.e. `require('./index.js')` in a fresh Node process with the functions'
 * NODE_OPTIONS, next to an empty `node -e ""` start measured in the same run. Median of BENCH_RUNS (default 7) runs each.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundle, NODE_OPTIONS } from '../lib/bundling';
import { DEPLOY_FUNCTIONS, FUNCTIONS } from '../lib/topology';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const LIMIT_KB = 1024;

/** Milliseconds from spawning Node to its exit, median of RUNS. */
function coldStartMs(script: string, cwd: string, nodeOptions = ''): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const started = process.hrtime.bigint();
    // The handlers' top-level code runs as in a Lambda cold start; env is set so none of it fails.
    execFileSync(process.execPath, ['-e', script], { cwd, stdio: 'ignore', env: { ...process.env, AWS_REGION: 'us-east-1', NODE_OPTIONS: nodeOptions } });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(times.length / 2)]);
}

export async function benchBundles(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bundles-'));
  try {
    const emptyMs = coldStartMs('', root);
    const rows = [];
    for (const fn of [...FUNCTIONS, ...DEPLOY_FUNCTIONS]) {
      const outdir = path.join(root, fn.name);
      await bundle(fn, outdir);
      const kb = fs.statSync(path.join(outdir, 'index.js')).size / 1024;
      // With the NODE_OPTIONS the stack gives the functions (source maps on).
      const importMs = coldStartMs(`require(${JSON.stringify(path.join(outdir, 'index.js'))})`, outdir, NODE_OPTIONS);
      rows.push({
        function: fn.name,
        'bundle KB': Math.round(kb),
        'under 1 MB': kb < LIMIT_KB ? 'yes' : 'NO',
        'cold import ms': importMs,
        'empty node ms': emptyMs,
        'import cost ms': importMs - emptyMs,
      });
    }
    console.table(rows);
    console.log(`Median of ${RUNS} fresh processes each (Node ${process.version}; Lambda runs Node 22 on arm64).`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}
