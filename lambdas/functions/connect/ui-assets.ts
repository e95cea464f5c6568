import fs from 'node:fs';
import path from 'node:path';
import { setting } from '../../platform/config';

/**
 * The built Connect UI (lib/connect-ui.ts writes it): beside the bundle in Lambda (the stack builds
 * it there), or where LATCHKEY_CONNECT_UI_DIR says (`npm start` and the tests build it at start).
 * Read once per instance; the files are small and immutable.
 */

interface Manifest {
  script: string;
  style: string;
  integrity: Record<string, string>;
  logos: string[];
}

export interface UiAssets {
  script: string;
  style: string;
  integrity: Record<string, string>;
  /** The content of an asset by file name; undefined for any name the build did not produce. */
  asset(name: string): Buffer | undefined;
  /** The brand logo of a provider, if the build has one. */
  brandLogo(provider: string): Buffer | undefined;
}

let loaded: { dir: string; assets: UiAssets } | undefined;

export function uiAssets(): UiAssets {
  const dir = setting('LATCHKEY_CONNECT_UI_DIR') ?? path.join(__dirname, 'connect-ui');
  if (loaded?.dir !== dir) loaded = { dir, assets: load(dir) };
  return loaded.assets;
}

function load(dir: string): UiAssets {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  // Only names the manifest lists are ever joined to a path.
  const files = new Map(Object.keys(manifest.integrity).map((name) => [name, fs.readFileSync(path.join(dir, 'assets', name))]));
  const logos = new Map(manifest.logos.map((provider) => [provider, fs.readFileSync(path.join(dir, 'logos', `${provider}.svg`))]));
  return {
    script: manifest.script,
    style: manifest.style,
    integrity: manifest.integrity,
    asset: (name) => files.get(name),
    brandLogo: (provider) => logos.get(provider),
  };
}
