import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type checking runs once in `tsc --noEmit` (npm test); here we only transpile.
    '^.+\\.[tj]s$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  // Packages that ship only ES modules are transpiled like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(@middy)/)'],
  // LATCHKEY_TEST_OFFLINE=1: no name but localhost resolves (test/support/offline-resolver.ts).
  setupFiles: ['<rootDir>/test/support/offline-setup.ts'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // A hook that starts a stack takes seconds on an idle machine and many times that on a loaded
  // one; the limit only bounds a hang, it asserts nothing about speed (the bench does).
  testTimeout: 90_000,
  maxWorkers: 2,
};

export default config;
