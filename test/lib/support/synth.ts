import fs from 'node:fs';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Topology } from '../../../lib/latchkey';
import { LatchkeyStack } from '../../../lib/latchkey-stack';
import { settingsFromContext } from '../../../lib/settings';

const CDK_JSON = path.resolve(__dirname, '../../../cdk.json');

/** A resource of the synthesized template, loosely typed for reading. */
export interface TemplateResource {
  Type: string;
  Properties?: Record<string, any>;
  DependsOn?: string[];
  DeletionPolicy?: string;
}

export interface Synthesized {
  stack: LatchkeyStack;
  template: Template;
  resources: Record<string, TemplateResource>;
  /** [logical id, resource] of every resource of `type`, in template order. */
  ofType(type: string): [string, TemplateResource][];
  /** Unacknowledged AwsSolutions findings, errors and warnings alike. */
  nagViolations: ReturnType<AwsSolutionsChecks['validateScope']>['violations'];
  /** CDK's own warnings and errors (annotations). */
  cdkWarnings: string[];
}

/**
 * The stack exactly as `cdk synth` builds it (cdk.json's context, feature flags included), with
 * `overrides` on top, bundling skipped (template tests need no esbuild or Docker), and cdk-nag's
 * AwsSolutions pack registered before the first synthesis. Synthesize once per file and share.
 */
export function synthesize(overrides: Record<string, unknown> = {}, topology?: Topology): Synthesized {
  const cdkJson = JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  const app = new App({ context: { ...cdkJson.context, ...overrides, 'aws:cdk:bundling-stacks': [] } });
  // Registered before any synthesis: a violation would make Template.fromStack throw with the report.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const settings = settingsFromContext(app.node);
  const stack = new LatchkeyStack(app, `Latchkey-${settings.stage}`, { env: { region: settings.region }, settings, topology });
  const template = Template.fromStack(stack);
  const annotations = Annotations.fromStack(stack);
  const cdkWarnings = [...annotations.findWarning('*', Match.anyValue()), ...annotations.findError('*', Match.anyValue())].map(
    (m) => `${m.id}: ${JSON.stringify(m.entry.data)}`,
  );
  const resources: Record<string, TemplateResource> = template.toJSON().Resources;
  return {
    stack,
    template,
    resources,
    ofType: (type) => Object.entries(resources).filter(([, r]) => r.Type === type),
    nagViolations: new AwsSolutionsChecks().validateScope(stack).violations,
    cdkWarnings,
  };
}

/** Logical ids of the resources of `type` whose properties match `props`. */
export function logicalIds(template: Template, type: string, props: Record<string, unknown> = {}): string[] {
  return Object.keys(template.findResources(type, { Properties: Match.objectLike(props) }));
}
