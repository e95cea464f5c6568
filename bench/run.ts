/**
 * `npm run bench`: runs every section in turn, or only those named: `npm run bench -- http`.
 * Each section measures ours against a bare baseline in the same run and prints its own table.
 */
// Lambda runs Node 22; on a Node 20 machine the SDK's upgrade notice is noise in the report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { benchCrypto } from './crypto';
import { benchBundles } from './bundles';
import { benchConnections } from './connections';
import { benchHttp } from './http';

const SECTIONS: Record<string, () => Promise<void>> = {
  http: benchHttp,
  bundles: benchBundles,
  crypto: benchCrypto,
  connections: benchConnections,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in SECTIONS));
  if (unknown.length) throw new Error(`Unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  for (const [name, run] of Object.entries(SECTIONS)) {
    if (wanted.length && !wanted.includes(name)) continue;
    console.log(`\n=== ${name} ===`);
    await run();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
