/**
 * Import cycles, type-only imports included (ESLint's import-x/no-cycle skips `import type`, yet a
 * type cycle still ties two modules together). Fails on any cycle not named in
 * known-import-cycles.json, and on any named one that is gone, so the list only shrinks.
 * Usage: `tsx bin/check-cycles.ts` (part of `npm run lint`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseCircular, parseDependencyTree } from 'dpdm';

const ROOT = path.resolve(__dirname, '..');
const BASELINE = path.join(ROOT, 'known-import-cycles.json');
const SOURCES = ['lambdas/**/*.ts', 'lib/**/*.ts', 'local/**/*.ts', 'bin/**/*.ts'];

/** A cycle as one line, starting at its alphabetically first file so each cycle has one spelling. */
function spell(cycle: string[]): string {
  const start = cycle.indexOf([...cycle].sort()[0]);
  return [...cycle.slice(start), ...cycle.slice(0, start), cycle[start]].join(' -> ');
}

async function main(): Promise<number> {
  const tree = await parseDependencyTree(SOURCES, { context: ROOT, tsconfig: path.join(ROOT, 'tsconfig.json'), transform: false });
  const found = new Set(parseCircular(tree).map(spell));
  const known = new Set<string>(JSON.parse(fs.readFileSync(BASELINE, 'utf8')).cycles);
  const added = [...found].filter((c) => !known.has(c));
  const gone = [...known].filter((c) => !found.has(c));
  for (const c of added) console.error(`new import cycle: ${c}`);
  for (const c of gone) console.error(`fixed, remove it from known-import-cycles.json: ${c}`);
  if (added.length === 0 && gone.length === 0) console.log(`import cycles: ${found.size}, all known`);
  return added.length + gone.length === 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(2);
});
