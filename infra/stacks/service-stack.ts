import { NestedStack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Platform } from '../constructs/platform';
import { alarmOnFunctionErrors, ServiceFunction } from '../constructs/service-function';

export interface ServiceStackProps {
  platform: Platform;
  /** The service's name, e.g. Cases: the stack is `<service>Stack`, its alarms name it. */
  service: string;
}

/**
 * One service of a deployment in a nested stack of its own: its functions, queues, rules, alarms and
 * API routes. The platform it builds on (key, tables, bucket, bus, API, alarm topic) is the regional
 * stack's, reached through the parameters CDK passes in; the nested stack deploys with its parent, so
 * `cdk deploy Kcbx-<id>` stays one command, and each template stays far from CloudFormation's 500
 * resources however many services there are.
 */
export class ServiceStack extends NestedStack {
  readonly service: string;
  private readonly platform: Platform;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    const { deployment } = props.platform;
    super(scope, id, {
      description: `kcbx 控辍保学 — ${deployment.name} (${deployment.regionCode}): ${props.service}`,
    });
    this.service = props.service;
    this.platform = props.platform;
  }

  /** The errors alarms of every function of this stack (see alarmOnFunctionErrors): call once it is built. */
  alarmOnFunctionErrors(): void {
    const depth = this.node.scopes.length;
    const functions = this.node
      .findAll()
      .filter((c): c is ServiceFunction => c instanceof ServiceFunction)
      .map((f) => ({
        label: f.node.scopes
          .slice(depth)
          .map((s) => s.node.id)
          .join('/'),
        fn: f.fn,
      }));
    alarmOnFunctionErrors(this, this.service, functions, this.platform.alarmTopic);
  }
}
