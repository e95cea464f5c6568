import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { nodejsBundling } from '../../lib/bundling';
import { BRAND_ICONS } from '../../lib/brand-icons';
import { buildConnectUi } from '../../lib/connect-ui';
import { FUNCTIONS } from '../../lib/topology';
import { CATALOG } from '../../lambdas/providers/catalog';

/** The Connect UI's build: what it writes, how big it is, and that the stack runs it. */

/** The goal of issue 18: a Connect UI that loads fast on a phone. */
const JS_BUDGET_GZIP_BYTES = 60 * 1024;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-ui-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the script stays under its gzipped budget; names are content hashes; a rebuild is identical', async () => {
  const out = path.join(dir, 'a');
  const manifest = await buildConnectUi(out);
  const js = fs.readFileSync(path.join(out, 'assets', manifest.script));
  const css = fs.readFileSync(path.join(out, 'assets', manifest.style));
  const gzipped = gzipSync(js, { level: 9 }).length;
  console.log(`Connect UI: JS ${js.length} B (${gzipped} B gzipped), CSS ${css.length} B (${gzipSync(css, { level: 9 }).length} B gzipped)`);
  expect(gzipped).toBeLessThan(JS_BUDGET_GZIP_BYTES);
  expect(manifest.script).toMatch(/^app-[A-Z0-9]{8}\.js$/);
  expect(manifest.style).toMatch(/^app-[A-Z0-9]{8}\.css$/);
  expect(fs.readdirSync(path.join(out, 'assets')).sort()).toEqual([manifest.script, manifest.style].sort());
  // No stray reference to a third-party origin in what runs in the end user's browser.
  expect(js.toString('utf8')).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z0-9.-]+\.[a-z]{2,}/i);
  expect(await buildConnectUi(path.join(dir, 'b'))).toEqual(manifest);
});

test('every brand logo belongs to a catalog provider, and is written', async () => {
  const manifest = await buildConnectUi(path.join(dir, 'c'));
  expect(Object.keys(BRAND_ICONS).filter((name) => !(name in CATALOG))).toEqual([]);
  expect(manifest.logos).toEqual(Object.keys(BRAND_ICONS).sort());
  for (const name of manifest.logos) expect(fs.readFileSync(path.join(dir, 'c', 'logos', `${name}.svg`), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*><rect [^>]*\/><path [^>]*\/><\/svg>$/);
});

test('the stack builds the Connect UI beside the connect function’s bundle, as the local stack does', () => {
  const connect = FUNCTIONS.find((f) => f.name === 'connect')!;
  const commands = nodejsBundling(connect).commandHooks!.afterBundling('/in', '/out');
  expect(commands).toEqual([expect.stringMatching(/tsx\/dist\/cli\.mjs" "\/in\/bin\/build-connect-ui\.ts" "\/out\/connect-ui"$/)]);
});
