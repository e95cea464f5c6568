import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/**
 * How every function is bundled, in one place: the stack's `NodejsFunction`s and `npm run bench`
 * (which reports what this produces) both derive their esbuild options from `BUNDLE`.
 *
 * The AWS SDK is bundled, not taken from the Lambda runtime: the versions the tests run against
 * are the versions that ship, and a bundle tree-shaken to the clients a function uses loads
 * faster than the runtime's full SDK.
 */
export const BUNDLE = {
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Stack traces need file and line numbers, not the sources themselves: keeps the map small.
  sourcesContent: false,
  // Error and class names survive minification, so `errorType` in logs stays readable.
  keepNames: true,
  // Prefer ES module builds: they tree-shake far better.
  mainFields: ['module', 'main'],
} as const;

/** How the functions' Node starts: stack traces through the source maps (costs ~15 ms of cold start). */
export const NODE_OPTIONS = '--enable-source-maps';

export const REPO_ROOT = path.resolve(__dirname, '..');
const TSX_CLI = path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs');

export interface BundledFunction {
  entry: string;
  copyFiles?: readonly { from: string; to: string }[];
  /** Files built beside the bundle by a bin/ script run with tsx (given the output folder), e.g. the Connect UI. */
  builtFiles?: readonly { script: string; to: string }[];
}

/** `NodejsFunction` bundling for one function (the stack). */
export function nodejsBundling(fn: BundledFunction): BundlingOptions {
  const copies = fn.copyFiles ?? [];
  return {
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourceMap: BUNDLE.sourceMap,
    sourcesContent: BUNDLE.sourcesContent,
    keepNames: BUNDLE.keepNames,
    mainFields: [...BUNDLE.mainFields],
    format: OutputFormat.CJS,
    bundleAwsSDK: true,
    externalModules: [],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      // Run-time files (migrations' SQL) go beside index.js, where the code looks for them.
      afterBundling: (inputDir, outputDir) => [
        ...copies.map((c) => `cp -R "${path.join(inputDir, c.from)}" "${path.join(outputDir, c.to)}"`),
        ...(fn.builtFiles ?? []).map((b) => `"${process.execPath}" "${TSX_CLI}" "${path.join(inputDir, b.script)}" "${path.join(outputDir, b.to)}"`),
      ],
    },
  };
}

/** The same bundle with esbuild's API (the bench and the bundling test), written to `outdir/index.js`. */
export function esbuildOptions(fn: BundledFunction, outdir: string): BuildOptions {
  return {
    entryPoints: [path.join(REPO_ROOT, fn.entry)],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: BUNDLE.target,
    minify: BUNDLE.minify,
    sourcemap: BUNDLE.sourceMap,
    sourcesContent: BUNDLE.sourcesContent,
    keepNames: BUNDLE.keepNames,
    mainFields: [...BUNDLE.mainFields],
    logLevel: 'warning',
  };
}

/** Bundles one function as the stack does, run-time files included. */
export async function bundle(fn: BundledFunction, outdir: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build(esbuildOptions(fn, outdir));
  for (const c of fn.copyFiles ?? []) fs.cpSync(path.join(REPO_ROOT, c.from), path.join(outdir, c.to), { recursive: true });
  for (const b of fn.builtFiles ?? []) execFileSync(process.execPath, [TSX_CLI, path.join(REPO_ROOT, b.script), path.join(outdir, b.to)], { stdio: 'ignore' });
}

/** Fails early, and clearly, where CDK would otherwise fall back to bundling in Docker. */
export function assertLocalEsbuild(): void {
  try {
    require.resolve('esbuild/package.json', { paths: [REPO_ROOT] });
  } catch {
    throw new Error('esbuild is not installed at the repository root: run `npm ci` (CDK would otherwise bundle in Docker)');
  }
}
