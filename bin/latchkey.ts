/**
 * The CDK app: one Latchkey stack per stage, configured from `cdk.json` context (`latchkey:*`,
 * see lib/settings.ts and the README). Synthesizes offline: the AZs are named in context, and
 * functions are bundled by the local esbuild, never Docker.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { assertLocalEsbuild } from '../lib/bundling';
import { LatchkeyStack } from '../lib/latchkey-stack';
import { settingsFromContext } from '../lib/settings';

assertLocalEsbuild();
const app = new App();
const settings = settingsFromContext(app.node);
new LatchkeyStack(app, `Latchkey-${settings.stage}`, {
  // Only the Region: a concrete account would make CDK look the AZs up (credentials at synth).
  env: { region: settings.region, account: settings.account },
  description: `Latchkey ${settings.stage}: self-hosted credential vault`,
  settings,
});
// AwsSolutions findings fail the synth; every accepted one is suppressed beside its cause, with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
