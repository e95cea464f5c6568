import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { BRAND_ICONS, brandIconSvg } from './brand-icons';

/**
 * Builds the Connect UI (web/connect-ui/) into a folder the connect function serves from: the
 * script and stylesheet under content-hashed names, the catalog's brand logos, and a manifest naming
 * them. The stack runs this beside each bundle of the connect function (lib/bundling.ts), `npm start`
 * and the tests at stack start (local/stack.ts); nothing built is committed.
 */

const REPO_ROOT = path.resolve(__dirname, '..');
const ENTRY = path.join(REPO_ROOT, 'web/connect-ui/main.tsx');

/** What lambdas/functions/connect/ui-assets.ts reads (keep the two in step). */
export interface ConnectUiManifest {
  script: string;
  style: string;
  /** Subresource integrity of each asset, by file name. */
  integrity: Record<string, string>;
  /** Providers with a brand logo in `logos/<provider>.svg`. */
  logos: string[];
}

export async function buildConnectUi(outdir: string): Promise<ConnectUiManifest> {
  const result = await build({
    entryPoints: { app: ENTRY },
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['chrome111', 'edge111', 'firefox114', 'safari16.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  const staging = `${outdir}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(path.join(staging, 'assets'), { recursive: true });
  fs.mkdirSync(path.join(staging, 'logos'));
  const integrity: Record<string, string> = {};
  let script = '';
  let style = '';
  for (const file of result.outputFiles) {
    const name = path.basename(file.path);
    fs.writeFileSync(path.join(staging, 'assets', name), file.contents);
    integrity[name] = `sha384-${createHash('sha384').update(file.contents).digest('base64')}`;
    if (name.endsWith('.js')) script = name;
    if (name.endsWith('.css')) style = name;
  }
  if (!script || !style) throw new Error('The Connect UI build produced no script or no stylesheet');
  for (const [provider, icon] of Object.entries(BRAND_ICONS)) fs.writeFileSync(path.join(staging, 'logos', `${provider}.svg`), brandIconSvg(icon));
  const manifest: ConnectUiManifest = { script, style, integrity, logos: Object.keys(BRAND_ICONS).sort() };
  fs.writeFileSync(path.join(staging, 'manifest.json'), JSON.stringify(manifest, null, 2));
  // Swapped in whole, so a reader never sees half a build.
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.renameSync(staging, outdir);
  return manifest;
}
