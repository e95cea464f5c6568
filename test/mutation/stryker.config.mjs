// StrykerJS for one critical module at a time (STRYKER_MODULE, from modules.json); run through
// `npm run test:mutation`, which starts PostgreSQL once and runs every module in turn.
import fs from 'node:fs';

const modules = JSON.parse(fs.readFileSync(new URL('./modules.json', import.meta.url), 'utf8'));
const name = process.env.STRYKER_MODULE;
const module = modules[name];
if (!module) throw new Error(`STRYKER_MODULE must be one of: ${Object.keys(modules).join(', ')}`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  // The TypeScript checker drops mutants that would not compile; it costs a type check of lambdas/ per
  // group of mutants, too slow on a small shared machine, so it is opt-in (STRYKER_TYPECHECK=1).
  // Without it such mutants still run (Jest only transpiles) and count as killed or survived.
  checkers: process.env.STRYKER_TYPECHECK === '1' ? ['typescript'] : [],
  tsconfigFile: 'test/mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: module.mutate,
  // Only this module's tests are candidates; coverage per test then picks the few that reach a mutant.
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.ts',
    enableFindRelatedTests: false,
    config: { testMatch: module.tests.map((glob) => `<rootDir>/${glob}`) },
  },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level values) need every test of the module rerun in a fresh module
  // registry each: most of the run's time for few mutants. Skipped (reported as ignored) unless
  // STRYKER_STATIC=1 or the module asks for them (`"static": true`: its module-level values are the
  // guard itself, like the SSRF block lists, and its tests are fast).
  ignoreStatic: process.env.STRYKER_STATIC !== '1' && module.static !== true,
  // The machine is small and shared; each worker runs its own Jest in band.
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  // A mutant run that times out restarts the test runner, and the next run then pays a cold start
  // (TypeScript transforms, a local stack): on a loaded machine a short timeout cascades into false
  // timeouts, so the margin is wide (STRYKER_TIMEOUT_MS to change it).
  timeoutMS: Number(process.env.STRYKER_TIMEOUT_MS ?? 60_000),
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: `test/mutation/incremental/${name}.json`,
  ignorePatterns: ['.latchkey', 'cdk.out', 'reports', '.stryker-tmp', 'coverage'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'json', 'progress'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 90, low: 80, break: null },
  cleanTempDir: 'always',
};
