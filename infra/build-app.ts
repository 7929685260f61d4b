import { App, type AppProps, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Deployment } from './config/schema';
import { RegionStack } from './stacks/region-stack';

export const stackName = (deployment: Deployment): string => `Kcbx-${deployment.id}`;

/** Builds the CDK app: one stack per deployment, all checked by cdk-nag's AwsSolutions pack. */
export function buildApp(
  deployments: Deployment[],
  appProps?: AppProps,
): { app: App; stacks: RegionStack[] } {
  const app = new App(appProps);
  const stacks = deployments.map(
    (deployment) =>
      new RegionStack(app, stackName(deployment), {
        deployment,
        env: { account: deployment.aws.account, region: deployment.aws.region },
        description: `kcbx 控辍保学 — ${deployment.name} (${deployment.regionCode})`,
      }),
  );
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, stacks };
}
