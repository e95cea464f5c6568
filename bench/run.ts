/**
 * `npm run bench`: runs every section in turn, or only those named: `npm run bench -- http`.
 * Each section measures ours against a bare baseline in the same run and prints its own table.
 * Sections run in fresh processes: each starts its own local stack, and a function's handles
 * (its Data API client, its caches) live for the process, as in a Lambda container.
 */
import { spawnSync } from 'node:child_process';
import { benchBundles } from './bundles';
import { benchConnect } from './connect';
import { benchConnections } from './connections';
import { benchCrypto } from './crypto';
import { benchHttp } from './http';
import { benchWebhooks } from './webhooks';
import { benchSweeps } from './sweeps';
import { benchRefresh } from './refresh';
import { benchRelay } from './relay';
import { benchProxy } from './proxy';

// Lambda runs Node 22; on a Node 20 machine the SDK's upgrade notice is noise in the report.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const SECTIONS: Record<string, () => Promise<void>> = {
  http: benchHttp,
  connections: benchConnections,
  connect: benchConnect,
  crypto: benchCrypto,
  bundles: benchBundles,
  webhooks: benchWebhooks,
  sweeps: benchSweeps,
  refresh: benchRefresh,
  relay: benchRelay,
  proxy: benchProxy,
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in SECTIONS));
  if (unknown.length) throw new Error(`Unknown bench section(s): ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  const names = wanted.length ? wanted : Object.keys(SECTIONS);
  if (names.length === 1) {
    console.log(`\n=== ${names[0]} ===`);
    await SECTIONS[names[0]]();
    return;
  }
  for (const name of names) {
    const run = spawnSync(process.execPath, [...process.execArgv, __filename, name], { stdio: 'inherit' });
    if (run.status !== 0) throw new Error(`bench section ${name} failed`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
