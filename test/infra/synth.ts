import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../../infra/build-app';
import type { Deployment } from '../../infra/config/schema';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';

/** The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does. */
const cdkJsonContext = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'))
  .context as Record<string, unknown>;

/** Synthesizes the app for assertions, without bundling the functions (fast, no esbuild runs). */
export function synthStacks(deployments: Deployment[]) {
  const { stacks } = buildApp(deployments, { context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
  return stacks.map((stack) => ({
    stack,
    deployment: stack.platform.deployment,
    template: Template.fromStack(stack),
    annotations: Annotations.fromStack(stack),
  }));
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}
