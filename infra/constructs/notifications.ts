import { Duration, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { kmsViaService } from '../config/partition';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { serviceFunctions } from './service-function';

/** How hard the deliver function tries an HTTPS partner endpoint before parking a delivery. */
export interface DeliveryPolicy {
  maxAttempts: number;
  /** Delay after the first failure; doubled after each further one, up to maxBackoffSeconds. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
  /** How long one POST may take. */
  timeoutSeconds: number;
}

/**
 * 22 attempts, 30 s doubling to at most 4 h: with jitter between 26 and 52 hours of retries, so an
 * endpoint that is down for a day receives everything on its own when it comes back; after that a
 * delivery waits in the subscription's dead-letter queue for a redrive (the Deliveries queue keeps
 * messages 4 days).
 */
export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  maxAttempts: 22,
  backoffSeconds: 30,
  maxBackoffSeconds: 4 * 3600,
  timeoutSeconds: 10,
};

const DELIVER_TIMEOUT = Duration.minutes(2);
// The names every subscription's AWS resources get (services/notifications/adapters/subscription-rules.ts).
const RULE_PREFIX = 'kcbx-sub-';
const SECRET_PREFIX = 'kcbx/sub/';

const policyEnvironment = (p: DeliveryPolicy) => ({
  KCBX_DELIVERY_MAX_ATTEMPTS: String(p.maxAttempts),
  KCBX_DELIVERY_BACKOFF_SECONDS: String(p.backoffSeconds),
  KCBX_DELIVERY_MAX_BACKOFF_SECONDS: String(p.maxBackoffSeconds),
  KCBX_DELIVERY_TIMEOUT_SECONDS: String(p.timeoutSeconds),
});

/**
 * Partner subscriptions: the subscription API, which turns each
 * subscription into EventBridge rules on the deployment bus at runtime, and the deliver function that
 * signs and posts HTTPS subscriptions' events from the Deliveries queue. SQS subscriptions go from the
 * bus straight to the partner's queue. See services/notifications/README.md, "Delivery".
 */
export class Notifications extends Construct {
  readonly deliveries: DurableQueue;
  readonly deliverFunction: lambda.Function;
  private deliveryPolicy = DEFAULT_DELIVERY_POLICY;

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api, deployment, key } = platform;
    const stack = Stack.of(this);
    const { partition, region, account } = stack;
    const archive = data.bus.node.findChild('Archive') as events.Archive;
    const ruleArns = `arn:${partition}:events:${region}:${account}:rule/${data.bus.eventBusName}/${RULE_PREFIX}*`;
    const subscriptionQueues = `arn:${partition}:sqs:${region}:${account}:${RULE_PREFIX}*`;
    const secretArns = `arn:${partition}:secretsmanager:${region}:${account}:secret:${SECRET_PREFIX}*`;
    const replayArns = `arn:${partition}:events:${region}:${account}:replay/${RULE_PREFIX}*`;
    // Partners' queues are in their own accounts, named as they choose; their queue policy admits us.
    const partnerQueues = `arn:${partition}:sqs:${region}:*:*`;

    this.deliveries = new DurableQueue(this, 'Deliveries', {
      key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(DELIVER_TIMEOUT.toSeconds() * 6),
      // Above the deliver function's own limit: the queue's DLQ takes only what the function could not handle.
      maxReceiveCount: DEFAULT_DELIVERY_POLICY.maxAttempts + 3,
      // A partner endpoint down for hours keeps deliveries waiting on purpose; page only after half a day.
      maxMessageAge: Duration.hours(12),
      removalPolicy: platform.removalPolicy,
    });
    // The subscription rules (made at runtime) deliver here, and HTTPS rules' failures go to the bus DLQ.
    for (const queue of [this.deliveries.queue, data.busDeadLetters.queue]) {
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'SubscriptionRules',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [queue.queueArn],
          conditions: {
            ArnLike: { 'aws:SourceArn': ruleArns },
            StringEquals: { 'aws:SourceAccount': account },
          },
        }),
      );
    }

    // EventBridge sends to a queue in a partner's own account as this role (a cross-account target needs
    // an execution role; the partner's queue policy admits it). Only our subscription rules may use it.
    const partnerSender = new iam.Role(this, 'PartnerQueueSender', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': ruleArns },
      }),
      description: 'EventBridge sends partner subscriptions (rules kcbx-sub-*) to queues in partner accounts',
    });
    partnerSender.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [partnerQueues] }),
    );
    // A partner's KMS-encrypted queue: its key policy decides, this only lets the role ask, through SQS.
    partnerSender.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [`arn:${partition}:kms:${region}:*:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': kmsViaService('sqs', deployment.aws.region) } },
      }),
    );

    const environment = {
      KCBX_TABLE: data.table.tableName,
      KCBX_EVENT_BUS: data.bus.eventBusName,
      KCBX_EVENT_BUS_ARN: data.bus.eventBusArn,
      KCBX_ARCHIVE_ARN: archive.archiveArn,
      KCBX_DELIVERY_QUEUE_ARN: this.deliveries.queue.queueArn,
      KCBX_DELIVERY_QUEUE_URL: this.deliveries.queue.queueUrl,
      KCBX_BUS_DLQ_ARN: data.busDeadLetters.queue.queueArn,
      KCBX_KEY_ARN: key.keyArn,
      KCBX_PARTNER_SENDER_ROLE_ARN: partnerSender.roleArn,
      // http://127.0.0.1 targets (npx kcbx receive) are for a developer's machine only.
      KCBX_ALLOW_LOOPBACK_TARGETS: deployment.local ? 'true' : 'false',
    };
    const fn = serviceFunctions(this, platform, 'notifications', environment);
    const allow = (f: lambda.Function, actions: string[], resources: string[]) =>
      f.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));

    // Delivery to HTTPS endpoints.
    this.deliverFunction = fn(
      'Deliver',
      'deliver',
      'handler',
      'Signs and posts partner deliveries',
      DELIVER_TIMEOUT,
    );
    this.overrideDeliveryPolicy(DEFAULT_DELIVERY_POLICY);
    this.deliverFunction.addEventSource(
      new SqsEventSource(this.deliveries.queue, {
        batchSize: 10,
        // A second to gather a child's events into one batch, where they are put in order.
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
      }),
    );
    data.table.grantReadWriteData(this.deliverFunction);
    allow(this.deliverFunction, ['sqs:ChangeMessageVisibility'], [this.deliveries.queue.queueArn]);
    allow(this.deliverFunction, ['sqs:SendMessage'], [subscriptionQueues]);
    allow(this.deliverFunction, ['secretsmanager:GetSecretValue'], [secretArns]);
    key.grantEncryptDecrypt(this.deliverFunction);

    // The subscription API: each route its own function and only the permissions it needs.
    const route = (
      fid: string,
      method: HttpMethod,
      path: string,
      handlerExport: string,
      description: string,
      timeout?: Duration,
    ) => {
      const f = fn(fid, 'subscriptions', handlerExport, description, timeout);
      api.route(method, path, f, `Subscriptions${fid}`);
      return f;
    };
    const create = route('Create', HttpMethod.POST, '/subscriptions', 'createHandler', 'POST /subscriptions');
    const list = route('List', HttpMethod.GET, '/subscriptions', 'listHandler', 'GET /subscriptions');
    const get = route('Get', HttpMethod.GET, '/subscriptions/{id}', 'getHandler', 'GET /subscriptions/{id}');
    const remove = route(
      'Delete',
      HttpMethod.DELETE,
      '/subscriptions/{id}',
      'deleteHandler',
      'DELETE /subscriptions/{id}',
    );
    const test = route(
      'Test',
      HttpMethod.POST,
      '/subscriptions/{id}/test',
      'testHandler',
      'POST /subscriptions/{id}/test: a signed test event',
    );
    const replay = route(
      'Replay',
      HttpMethod.POST,
      '/subscriptions/{id}/replay',
      'replayHandler',
      'POST /subscriptions/{id}/replay: from the bus archive',
    );
    const replayStatus = route(
      'ReplayStatus',
      HttpMethod.GET,
      '/subscriptions/{id}/replays/{name}',
      'replayStatusHandler',
      'GET /subscriptions/{id}/replays/{name}',
    );
    const redrive = route(
      'Redrive',
      HttpMethod.POST,
      '/subscriptions/{id}/redrive',
      'redriveHandler',
      'POST /subscriptions/{id}/redrive: dead letters back to delivery',
      Duration.minutes(1),
    );

    data.table.grantReadWriteData(create);
    data.table.grantReadWriteData(remove);
    for (const f of [list, get, test, replay, replayStatus, redrive]) data.table.grantReadData(f);
    // Rules named kcbx-sub-* on this bus only (PutRule with tags needs TagResource).
    const ruleActions = [
      'events:PutRule',
      'events:PutTargets',
      'events:TagResource',
      'events:RemoveTargets',
      'events:DeleteRule',
    ];
    allow(create, ruleActions, [ruleArns]);
    // Only to hand the sender role to EventBridge, for targets in partner accounts.
    create.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [partnerSender.roleArn],
        conditions: {
          StringEquals: {
            'iam:PassedToService': iam.ServicePrincipal.servicePrincipalName('events.amazonaws.com'),
          },
        },
      }),
    );
    allow(remove, ['events:RemoveTargets', 'events:DeleteRule'], [ruleArns]);
    // Each subscription's dead-letter queue, named kcbx-sub-*-dlq.
    allow(
      create,
      [
        'sqs:CreateQueue',
        'sqs:TagQueue',
        'sqs:SetQueueAttributes',
        'sqs:GetQueueAttributes',
        'sqs:DeleteQueue',
      ],
      [subscriptionQueues],
    );
    allow(remove, ['sqs:GetQueueAttributes', 'sqs:DeleteQueue'], [subscriptionQueues]);
    allow(get, ['sqs:GetQueueAttributes'], [subscriptionQueues]);
    allow(
      redrive,
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      [subscriptionQueues],
    );
    this.deliveries.queue.grantSendMessages(redrive);
    // Signing secrets under kcbx/sub/ (deleted with a 7-day recovery window).
    allow(
      create,
      ['secretsmanager:CreateSecret', 'secretsmanager:TagResource', 'secretsmanager:DeleteSecret'],
      [secretArns],
    );
    allow(remove, ['secretsmanager:DeleteSecret'], [secretArns]);
    allow(test, ['secretsmanager:GetSecretValue'], [secretArns]);
    // The partner's queue policy is read before a queue subscription is made, and again by the test route.
    for (const f of [create, test]) allow(f, ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'], [partnerQueues]);
    // Replays from the bus archive, named after the subscription.
    allow(replay, ['events:StartReplay'], [archive.archiveArn, replayArns]);
    allow(replayStatus, ['events:DescribeReplay'], [replayArns]);
    // The deployment key encrypts the secrets, the dead-letter queues, the bus's rules and its archive.
    for (const f of [create, remove, get, test, replay, redrive]) key.grantEncryptDecrypt(f);
    // Named in the queue policy statement a partner adds, so that exactly these roles may read it.
    const readers = [create, test].map((f) => f.role!.roleArn).join(',');
    for (const f of [create, test]) f.addEnvironment('KCBX_QUEUE_READER_ROLE_ARNS', readers);

    for (const role of [
      partnerSender,
      ...[this.deliverFunction, create, list, get, remove, test, replay, replayStatus, redrive].map(
        (f) => f.role!,
      ),
    ]) {
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Subscriptions are made at runtime: the role is limited to the names they get (rules kcbx-sub-* on this ' +
              'bus, queues kcbx-sub-*, secrets kcbx/sub/*, replays kcbx-sub-*); partner queues (and their keys) are in ' +
              'partner accounts under names the partner chooses, usable only where the partner policy admits this role.',
            appliesTo: [
              { regex: `/^Resource::.*${RULE_PREFIX}\\*$/g` },
              { regex: '/^Resource::.*kcbx\\/sub\\/\\*$/g' },
              { regex: '/^Resource::arn:.*:sqs:.*:\\*:\\*$/g' },
              { regex: '/^Resource::arn:.*:kms:.*:\\*:key\\/\\*$/g' },
            ],
          },
        ],
        true,
      );
    }
  }

  /** Sets how hard the deliver function tries (the defaults are production's; drills and tests go faster). */
  overrideDeliveryPolicy(policy: Partial<DeliveryPolicy>): void {
    this.deliveryPolicy = { ...this.deliveryPolicy, ...policy };
    for (const [k, v] of Object.entries(policyEnvironment(this.deliveryPolicy)))
      this.deliverFunction.addEnvironment(k, v);
  }
}
