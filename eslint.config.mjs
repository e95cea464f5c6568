// Lint: typescript-eslint's syntax rules, no import cycles, and imports only downward through the
// layers of docs/architecture.md. Violations that predate these rules are listed one by one in
// eslint-suppressions.json (ESLint's bulk suppressions): a new one fails `npm run lint`, and a fixed
// one must be pruned (`npm run lint -- --prune-suppressions`), so the list only shrinks.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Folders of lambdas/ below the domains: they never import a domain, http/ or a function. */
const PLATFORM = ['./lambdas/platform'];
/** Domain folders: everything in lambdas/ that is not a function, http/ or platform. */
const DOMAINS = [
  'audit', 'auth', 'connect', 'connect-sessions', 'connections', 'end-users', 'environments', 'health',
  'integrations', 'keys', 'oauth', 'providers', 'proxy', 'records', 'sweeps', 'webhooks',
].map((p) => `./lambdas/${p}`);

export default defineConfig(
  { ignores: ['node_modules/', 'cdk.out/', '.latchkey/', 'coverage/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', {
        zones: [
          { target: './lambdas', from: ['./local', './bin', './test', './bench'], message: 'lambdas/ runs in AWS: no local branch, no test or tool code.' },
          { target: ['./lambdas/http', ...DOMAINS, ...PLATFORM], from: './lambdas/functions', message: 'Only a function imports its handler and routes.' },
          { target: [...DOMAINS, ...PLATFORM], from: './lambdas/http', message: 'Domains and platform know nothing of HTTP: throw a domain error, map it in http/.' },
          { target: PLATFORM, from: DOMAINS, message: 'Platform (db, crypto, net, events, observability, clock, config) never imports a domain.' },
          { target: DOMAINS.filter((d) => !d.endsWith('/sweeps')), from: './lambdas/sweeps', message: 'Sweeps are jobs over the domains; only functions/sweeps runs them.' },
          { target: DOMAINS.filter((d) => !d.endsWith('/webhooks')), from: './lambdas/webhooks', message: 'Webhooks consume domain events; a domain emits an event instead of calling them.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.ts', '**/*.mjs'],
    rules: {
      // tsc's noUnusedLocals and noUnusedParameters already check this (and faster).
      '@typescript-eslint/no-unused-vars': 'off',
      // The two such regexes exist to reject control characters.
      'no-control-regex': 'off',
    },
  },
  {
    // All configuration goes through EnvSchema (lambdas/platform/config.ts), which fails fast with a clear message.
    files: ['lambdas/**/*.ts'],
    ignores: ['lambdas/platform/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration with env() or setting() from lambdas/platform/config.ts.' }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', URLSearchParams: 'readonly' } },
  },
  {
    // The quick start's frontend runs in a browser.
    files: ['examples/**/frontend.js'],
    languageOptions: { globals: { fetch: 'readonly', window: 'readonly' } },
  },
  {
    // Tests and tools may reach anywhere, and poke at untyped CloudFormation and SDK shapes.
    files: ['test/**', 'bench/**', 'bin/**'],
    rules: { 'import-x/no-restricted-paths': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
