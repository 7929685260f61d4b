import { RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { featuresOf, regionalServicePrincipal } from '../config/partition';
import type { Deployment } from '../config/schema';
import { Api } from '../constructs/api';
import { Cases } from '../constructs/cases';
import { Comparison } from '../constructs/comparison';
import { DataLayer } from '../constructs/data';
import { Identity } from '../constructs/identity';
import { NotificationPeople } from '../constructs/notification-people';
import { Notifications } from '../constructs/notifications';
import { Observability } from '../constructs/observability';
import type { Platform } from '../constructs/platform';
import { RosterIntake } from '../constructs/roster-intake';
import { Subsidy } from '../constructs/subsidy';
import { ServiceStack } from './service-stack';

export interface RegionStackProps extends StackProps {
  deployment: Deployment;
}

/** The service constructs of a deployment, each in its service's nested stack. */
export interface Services {
  identity: Identity;
  rosterIntake: RosterIntake;
  comparison: Comparison;
  cases: Cases;
  subsidy: Subsidy;
  notificationPeople: NotificationPeople;
  notifications: Notifications;
}

/**
 * One deployment of kcbx: the platform (key, tables, bucket, bus and archive, HTTP API, alarm topic) in
 * this stack, and each service in a nested stack of its own (`addService`).
 */
export class RegionStack extends Stack {
  readonly platform: Platform;
  readonly services: Services;

  constructor(scope: Construct, id: string, props: RegionStackProps) {
    super(scope, id, props);
    const { deployment } = props;
    // Only the local deployment is disposable; real regions keep children's data when a stack goes.
    const removalPolicy = deployment.local ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    const key = new kms.Key(this, 'Key', {
      alias: `alias/kcbx-${deployment.id}`,
      description: `kcbx ${deployment.name}: encrypts tables, rosters, queues, logs and events`,
      enableKeyRotation: true,
      removalPolicy,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        // CloudWatch Logs' regional principal, in the region's own DNS suffix (….amazonaws.com.cn in China).
        principals: [new iam.ServicePrincipal(regionalServicePrincipal('logs', deployment.aws.region))],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*`,
          },
        },
      }),
    );

    const observability = new Observability(this, 'Observability', {
      key,
      alarmEmail: deployment.alarmEmail,
    });
    const data = new DataLayer(this, 'Data', {
      deployment,
      key,
      alarmTopic: observability.alarmTopic,
      removalPolicy,
    });
    const api = new Api(this, 'Api', { deployment, key, removalPolicy });
    this.platform = {
      deployment,
      key,
      removalPolicy,
      alarmTopic: observability.alarmTopic,
      data,
      api,
      stateful: (scopeId) =>
        (this.node.tryFindChild(scopeId) as Construct | undefined) ?? new Construct(this, scopeId),
    };

    // Each service construct keeps the id it had in the regional stack, so its resources keep their logical ids.
    const platform = this.platform;
    this.services = {
      identity: this.addService('Identity', (scope) => new Identity(scope, 'Identity', platform)),
      rosterIntake: this.addService(
        'RosterIntake',
        (scope) => new RosterIntake(scope, 'RosterIntake', platform),
      ),
      comparison: this.addService('Comparison', (scope) => new Comparison(scope, 'Comparison', platform)),
      cases: this.addService('Cases', (scope) => new Cases(scope, 'Cases', platform)),
      subsidy: this.addService('Subsidy', (scope) => new Subsidy(scope, 'Subsidy', platform)),
      // Partner subscriptions and notices to people: one service, two constructs, one stack.
      ...this.addService('Notifications', (scope) => ({
        notificationPeople: new NotificationPeople(scope, 'NotificationPeople', platform),
        notifications: new Notifications(scope, 'Notifications', platform),
      })),
    };

    // The China regions offer no tags on Lambda event source mappings: there, those are left untagged.
    const untaggable = featuresOf(deployment.aws.region).eventSourceMappingTags
      ? []
      : ['AWS::Lambda::EventSourceMapping'];
    Tags.of(this).add('kcbx:deployment', deployment.id, { excludeResourceTypes: untaggable });
    Tags.of(this).add('kcbx:region-code', deployment.regionCode, { excludeResourceTypes: untaggable });
  }

  /**
   * Adds a service in a nested stack of its own, `<service>Stack`: `build` makes the service's constructs
   * in the scope it is given (functions, queues, rules, routes), and then every function of the stack is
   * watched by the service's errors alarms.
   */
  addService<T>(service: string, build: (scope: Construct) => T): T {
    const stack = new ServiceStack(this, `${service}Stack`, { platform: this.platform, service });
    const built = build(stack);
    stack.alarmOnFunctionErrors();
    return built;
  }
}
