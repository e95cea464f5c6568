import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { App, Stack } from 'aws-cdk-lib';
import { SecurityGroup, Vpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LatchkeyFunction } from '../../lib/constructs/latchkey-function';
import { DEPLOY_FUNCTIONS } from '../../lib/topology';

/**
 * The one test that bundles for real, through CDK's NodejsFunction and the local esbuild (no
 * Docker): the migrate function, whose SQL files must land beside its bundle.
 */
test('the migrate bundle is under 1 MB, self-contained, with migrations/ beside it', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'latchkey-bundle-'));
  try {
    const app = new App({ outdir });
    const stack = new Stack(app, 'Bundle', { env: { region: 'us-east-1' } });
    const vpc = new Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a'], natGateways: 1, restrictDefaultSecurityGroup: false });
    new LatchkeyFunction(stack, 'Migrate', {
      spec: DEPLOY_FUNCTIONS.find((f) => f.name === 'migrate')!,
      vpc,
      securityGroup: new SecurityGroup(stack, 'Sg', { vpc }),
      logRetention: RetentionDays.ONE_WEEK,
      environment: {},
    });
    const assembly = app.synth();

    const [assetDir] = fs.readdirSync(assembly.directory).filter((d) => d.startsWith('asset.') && fs.existsSync(path.join(assembly.directory, d, 'index.js')));
    const dir = path.join(assembly.directory, assetDir);
    const sql = fs.readdirSync(path.join(dir, 'migrations'));
    expect(sql).toEqual(fs.readdirSync(path.resolve(__dirname, '../../lambdas/platform/db/migrations')));
    const bundle = fs.readFileSync(path.join(dir, 'index.js'), 'utf8');
    expect(Buffer.byteLength(bundle)).toBeLessThan(1024 * 1024);
    // The AWS SDK is inside: the runtime's copy is never used (only the optional CRT signer stays a
    // guarded require, as it is in the SDK itself).
    const sdkRequires = new Set([...bundle.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]));
    expect([...sdkRequires]).toEqual(sdkRequires.size ? ['@aws-sdk/signature-v4-crt'] : []);
    // It loads, and finds its SQL where the migrator looks (DEFAULT_MIGRATIONS_DIR = __dirname/migrations).
    const loaded = execFileSync(process.execPath, ['-e', `const m = require(${JSON.stringify(path.join(dir, 'index.js'))}); console.log(typeof m.handler)`], {
      cwd: os.tmpdir(),
      encoding: 'utf8',
    });
    expect(loaded.trim()).toBe('function');
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
