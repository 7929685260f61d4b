import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { kmsViaService } from '../config/partition';
import type { Deployment } from '../config/schema';
import { DurableQueue } from './durable-queue';

export interface DataLayerProps {
  deployment: Deployment;
  key: kms.Key;
  alarmTopic: sns.ITopic;
  removalPolicy: RemovalPolicy;
}

/**
 * The shared data layer of one deployment: tables, the roster bucket, the event bus and the
 * pseudonym secret. Each item type in the tables has one owning service (see its README).
 */
export class DataLayer extends Construct {
  /** Single-table store: pk/sk plus two overloaded indexes (gsi1, gsi2) and a TTL attribute. */
  readonly table: dynamodb.Table;
  /** Who read or changed which child's record (个人信息保护法: an audit trail). */
  readonly auditTable: dynamodb.Table;
  readonly rosterBucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly bus: events.EventBus;
  /** Where events that a rule could not deliver to its target end up. */
  readonly busDeadLetters: DurableQueue;
  /** HMAC key for child pseudonyms (c_…): keys, events and logs never carry a raw ID number. */
  readonly pseudonymSecret: secrets.Secret;
  private readonly key: kms.IKey;
  private readonly awsRegion: string;

  constructor(scope: Construct, id: string, props: DataLayerProps) {
    super(scope, id);
    const { deployment, key, removalPolicy } = props;
    const stack = Stack.of(this);
    this.key = key;
    this.awsRegion = deployment.aws.region;

    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: !deployment.local,
      removalPolicy,
    } as const;
    const S = dynamodb.AttributeType.STRING;

    this.table = new dynamodb.Table(this, 'Table', {
      ...tableDefaults,
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
      timeToLiveAttribute: 'expiresAt',
    });
    for (const index of ['gsi1', 'gsi2']) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: S },
        sortKey: { name: `${index}sk`, type: S },
      });
    }
    this.auditTable = new dynamodb.Table(this, 'Audit', {
      ...tableDefaults,
      partitionKey: { name: 'pk', type: S },
      sortKey: { name: 'sk', type: S },
    });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access logging can deliver only to SSE-S3 buckets.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.accessLogsBucket, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' },
    ]);

    this.rosterBucket = new s3.Bucket(this, 'Rosters', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'rosters/',
      lifecycleRules: [
        // Raw rosters hold children's IDs: keep them only as long as the region's retention says.
        {
          id: 'expire-raw-rosters',
          prefix: 'incoming/',
          expiration: Duration.days(deployment.rosterRetentionDays),
        },
        {
          id: 'expire-reports',
          prefix: 'reports/',
          expiration: Duration.days(deployment.rosterRetentionDays),
        },
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
    // S3 event notifications are delivered to KMS-encrypted queues only if S3 may use the key.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );

    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: `kcbx-${deployment.id}`,
      kmsKey: key,
      description: `kcbx events of ${deployment.name} (${deployment.regionCode})`,
    });
    // The archive is what partner replays are read from (a partner endpoint down for a day).
    this.bus.archive('Archive', {
      description: 'Every kcbx event, for replay to partner subscriptions',
      eventPattern: { source: events.Match.prefix('kcbx.') },
      retention: Duration.days(deployment.local ? 7 : 400),
      kmsKey: key,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.busDeadLetters = new DurableQueue(this, 'BusDeadLetters', {
      key,
      alarmTopic: props.alarmTopic,
      visibilityTimeout: Duration.minutes(1),
      removalPolicy,
    });

    this.pseudonymSecret = new secrets.Secret(this, 'PseudonymSecret', {
      description:
        'HMAC key of child pseudonyms (c_…). Changing it changes every stored key: re-key deliberately.',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.pseudonymSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The pseudonym key is the storage key of every child record; automatic rotation would orphan them. ' +
          'Re-keying is an operational procedure that rewrites the keys.',
      },
    ]);
  }

  /**
   * Sends a notification to `queue` for every object created under `prefix` in the roster
   * bucket. Wired by hand rather than with SqsDestination: that grants S3 the deployment key
   * with a condition on the bucket, and the bucket is encrypted with the same key — a cycle.
   * S3 already may use the key (see the key policy above); the queue policy admits only this
   * bucket of this account.
   */
  notifyObjectCreated(queue: sqs.IQueue, filter: s3.NotificationKeyFilter): void {
    const stack = Stack.of(this);
    const { policyDependable } = queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('s3.amazonaws.com')],
        actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
        resources: [queue.queueArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.rosterBucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    this.rosterBucket.addEventNotification(
      s3.EventType.OBJECT_CREATED,
      {
        bind: () => ({
          arn: queue.queueArn,
          type: s3.BucketNotificationDestinationType.QUEUE,
          dependencies: policyDependable ? [policyDependable] : [],
        }),
      },
      filter,
    );
    // CDK configures bucket notifications through one singleton function of its own.
    const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler) {
      NagSuppressions.addResourceSuppressions(
        handler,
        [
          {
            id: 'AwsSolutions-IAM4',
            reason:
              'CDK-provided custom resource that only sets the bucket notification configuration at deploy time.',
          },
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'CDK-provided custom resource: s3:PutBucketNotification needs the bucket it is given at deploy time.',
          },
        ],
        true,
      );
    }
  }

  /**
   * Lets `grantee` read `secret` (the pseudonym key, or another secret under the deployment key) through
   * Secrets Manager, as `secret.grantRead` does, but with both statements on the grantee's own policy:
   * `grantRead` names the grantee's role in the key policy, and a service stack's role in the regional
   * stack's key policy is a dependency cycle (the service stack is created after the key it uses). The
   * key policy lets the account's IAM policies grant the key's use.
   */
  grantReadSecret(secret: secrets.ISecret, grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
      resourceArns: [secret.secretArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt'],
      resourceArns: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': kmsViaService('secretsmanager', this.awsRegion) } },
    });
  }

  /** Lets `grantee` read objects under `prefix` (any version), and decrypt them: nothing else. */
  grantReadObjects(grantee: iam.IGrantable, prefix: 'incoming/' | 'reports/'): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [this.rosterBucket.arnForObjects(`${prefix}*`)],
    });
    this.rosterBucket.encryptionKey?.grantDecrypt(grantee);
  }

  /** Lets `grantee` write objects under `prefix` (a pre-signed POST signs with this permission). */
  grantWriteObjects(grantee: iam.IGrantable, prefix: 'incoming/' | 'reports/'): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.rosterBucket.arnForObjects(`${prefix}*`)],
    });
    this.rosterBucket.encryptionKey?.grantEncrypt(grantee);
  }
}
