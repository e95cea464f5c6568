/**
 * SQL lives in stores: a statement may appear only in `lambdas/**\/*-store.ts` and in
 * `lambdas/platform/db/` (docs/architecture.md, "Layers"). Fails on any other file of `lambdas/`
 * that holds SQL, so a statement cannot creep back into a verb or a route.
 * Usage: `tsx bin/check-sql-placement.ts` (part of `npm run lint`).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** What starts or shapes a statement; the same pattern docs/architecture.md's health counts use. */
const SQL = String.raw`\b(SELECT|INSERT INTO|DELETE FROM|UPDATE [a-z_]+( |$)|WITH [a-z_]+ AS)`;
const PATHS = ['lambdas', ':!lambdas/**/*-store.ts', ':!lambdas/platform/db/**'];

function filesWithSql(): string[] {
  try {
    return execFileSync('git', ['grep', '--untracked', '-lE', SQL, '--', ...PATHS], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch (err) {
    // git grep exits 1 when nothing matches.
    if ((err as { status?: number }).status === 1) return [];
    throw err;
  }
}

const found = filesWithSql();
for (const file of found) console.error(`SQL outside a store: ${file} (move it into a *-store.ts or lambdas/platform/db/)`);
if (found.length === 0) console.log('SQL placement: only in stores and platform/db');
process.exit(found.length === 0 ? 0 : 1);
