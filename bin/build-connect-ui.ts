import path from 'node:path';
import { buildConnectUi } from '../lib/connect-ui';

/** `tsx bin/build-connect-ui.ts <outdir>`: the Connect UI's files, as the connect function serves them. */
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: tsx bin/build-connect-ui.ts <outdir>');
  process.exit(2);
}
buildConnectUi(path.resolve(outdir)).then(
  (m) => console.log(`Connect UI built into ${outdir}: ${m.script}, ${m.style}, ${m.logos.length} logos`),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
