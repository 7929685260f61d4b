import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NestedStack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ASSET_RESOURCE_METADATA_ENABLED_CONTEXT } from 'aws-cdk-lib/cx-api';
import { buildApp } from '../../infra/build-app';
import type { Deployment } from '../../infra/config/schema';
import { PROJECT_ROOT } from '../../infra/constructs/service-function';
import { foldNestedStacks, nestedTemplatesIn } from '../../infra/local/nested-stacks';
import type { CfnTemplate } from '../../infra/local/template';

/** The feature flags of cdk.json, so tests synthesize exactly what `cdk synth` does. */
const cdkJsonContext = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8'))
  .context as Record<string, unknown>;

/**
 * Synthesizes the app for assertions, without bundling the functions (fast, no esbuild runs). Each
 * deployment gives:
 * - `template`: the whole deployment as one template, its nested stacks folded in exactly as the local
 *   cloud folds them, for assertions about what is deployed wherever it lives;
 * - `parent` and `nested`: the templates CloudFormation receives, the regional stack's and one per
 *   nested stack (named by the construct id, e.g. CasesStack);
 * - `nagFindings`: the cdk-nag errors and warnings of that one synthesis (nested stacks' included), as
 *   `cdk synth` reports them. Not `Annotations.fromStack`: it synthesizes the app again, and cdk-nag,
 *   run a second time, sees the parameters of the nested stacks where the suppressions name the
 *   regional stack's resources.
 */
export function synthStacks(deployments: Deployment[]) {
  const { app, stacks } = buildApp(deployments, {
    context: {
      ...cdkJsonContext,
      'aws:cdk:bundling-stacks': [],
      // As `cdk synth` does: each nested stack resource names its template file.
      [ASSET_RESOURCE_METADATA_ENABLED_CONTEXT]: true,
    },
  });
  const assembly = app.synth();
  const read = (file: string) =>
    JSON.parse(readFileSync(path.join(assembly.directory, file), 'utf8')) as CfnTemplate;
  return stacks.map((stack) => {
    const artifact = assembly.getStackByName(stack.stackName);
    const parent = artifact.template as CfnTemplate;
    return {
      stack,
      deployment: stack.platform.deployment,
      template: Template.fromJSON(foldNestedStacks(parent, nestedTemplatesIn(assembly.directory))),
      parent: Template.fromJSON(parent),
      nested: stack.node.children.filter(NestedStack.isNestedStack).map((nestedStack) => ({
        id: nestedStack.node.id,
        template: Template.fromJSON(read(nestedStack.templateFile)),
      })),
      nagFindings: artifact.messages
        .filter((m) => m.level !== 'info' && /AwsSolutions-/.test(String(m.entry.data)))
        .map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`),
    };
  });
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

export function resourcesOf(template: Template, type: string): Resources {
  return template.findResources(type) as Resources;
}
