import { RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
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

export interface RegionStackProps extends StackProps {
  deployment: Deployment;
}

/** One deployment of kcbx: the shared data layer, the API and the services of one region. */
export class RegionStack extends Stack {
  readonly platform: Platform;

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
    this.platform = { deployment, key, removalPolicy, alarmTopic: observability.alarmTopic, data, api };

    new Identity(this, 'Identity', this.platform);
    new RosterIntake(this, 'RosterIntake', this.platform);
    new Comparison(this, 'Comparison', this.platform);
    new Cases(this, 'Cases', this.platform);
    new Subsidy(this, 'Subsidy', this.platform);
    new NotificationPeople(this, 'NotificationPeople', this.platform);
    new Notifications(this, 'Notifications', this.platform);

    // The China regions offer no tags on Lambda event source mappings: there, those are left untagged.
    const untaggable = featuresOf(deployment.aws.region).eventSourceMappingTags
      ? []
      : ['AWS::Lambda::EventSourceMapping'];
    Tags.of(this).add('kcbx:deployment', deployment.id, { excludeResourceTypes: untaggable });
    Tags.of(this).add('kcbx:region-code', deployment.regionCode, { excludeResourceTypes: untaggable });
  }
}
