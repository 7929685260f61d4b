import { Aws, Duration, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secrets from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { featuresOf } from '../config/partition';
import { chinaTimeToUtcCron } from './cases';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { serviceFunctions } from './service-function';

/** Due reminders go out when quiet hours end, after the 06:30 deadline sweep has raised what is overdue. */
const DUE_REMINDER_TIME = '07:00';
const CONSUMER_TIMEOUT = Duration.seconds(30);

/**
 * Notifications to people: the responsible people of a case are told of new cases,
 * due and overdue items and escalations, by SMS, e-mail or a WeChat Work robot, at once or in a daily
 * digest, never in quiet hours and never twice. See services/notifications/handlers/people.ts.
 */
export class NotificationPeople extends Construct {
  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api, deployment } = platform;
    const stack = Stack.of(this);

    // The key that seals each person's channel and address (contacts-repo.ts explains the envelope). It
    // stays in the regional stack with the table it protects: a new key would orphan every stored contact.
    const contactsKey = new secrets.Secret(platform.stateful(id), 'ContactsKey', {
      description:
        'Seals the contact addresses of the people told about cases (AES-256-GCM, key derived by HKDF).',
      encryptionKey: platform.key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: platform.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(contactsKey, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Every stored contact address is sealed under this key; automatic rotation would make them unreadable. ' +
          'Replacing it is an operational procedure that re-seals the contacts (the sealed format is versioned).',
      },
    ]);

    // SES and SNS text messaging are not offered in the China regions: there, WeChat Work only.
    const channels = featuresOf(deployment.aws.region).smsAndEmail ? ['sms', 'email', 'wecom'] : ['wecom'];
    // The deployment's own domain (its identity issuer's host) is the SES identity to verify for sending.
    const mailDomain = new URL(deployment.identity.issuer).hostname;
    const environment = {
      KCBX_TABLE: data.table.tableName,
      KCBX_CONTACTS_SECRET_ARN: contactsKey.secretArn,
      KCBX_CASE_LINK_BASE: api.httpApi.apiEndpoint,
      KCBX_CHANNELS: channels.join(','),
      KCBX_EMAIL_FROM: `kcbx-noreply@${mailDomain}`,
    };
    const fn = serviceFunctions(this, platform, 'notifications', environment);
    const sender = (f: lambda.Function) => {
      data.table.grantReadWriteData(f);
      data.grantReadSecret(contactsKey, f);
      if (channels.includes('sms')) {
        // Publishing to a phone number has no resource ARN; NotResource excludes every topic and
        // endpoint, so this grant can send text messages and nothing else.
        f.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['sns:Publish'],
            notResources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
          }),
        );
      }
      if (channels.includes('email')) {
        f.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['ses:SendEmail'],
            resources: [stack.formatArn({ service: 'ses', resource: 'identity', resourceName: mailDomain })],
            conditions: { StringEquals: { 'ses:FromAddress': environment.KCBX_EMAIL_FROM } },
          }),
        );
      }
      return f;
    };

    // Case events → queue → the people of the case.
    const queue = new DurableQueue(this, 'CaseEventQueue', {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(CONSUMER_TIMEOUT.toSeconds() * 6),
      removalPolicy: platform.removalPolicy,
    });
    const consumer = sender(
      fn(
        'Notify',
        'people',
        'handler',
        'Tells the people of a case what its events mean for them',
        CONSUMER_TIMEOUT,
      ),
    );
    consumer.addEventSource(
      new SqsEventSource(queue.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    new events.Rule(this, 'OnCaseEvents', {
      eventBus: data.bus,
      description: 'Case events the responsible people are told of',
      eventPattern: {
        source: ['kcbx.cases'],
        detailType: ['case.opened', 'case.overdue', 'case.state-changed', 'student.returned'],
      },
      targets: [
        new targets.SqsQueue(queue.queue, { deadLetterQueue: data.busDeadLetters.queue, retryAttempts: 10 }),
      ],
    });

    // Digests and messages held for quiet hours: every half hour, so a digest time of HH:00 or HH:30 is kept.
    const digest = sender(
      fn(
        'Digest',
        'people',
        'digestHandler',
        'Sends the digests and held messages that are due',
        Duration.minutes(5),
      ),
    );
    new events.Rule(this, 'DigestSchedule', {
      description: 'Digests and held messages, every 30 minutes',
      schedule: events.Schedule.cron({ minute: '0,30' }),
      targets: [
        new targets.LambdaFunction(digest, { retryAttempts: 2, deadLetterQueue: data.busDeadLetters.queue }),
      ],
    });

    const due = sender(
      fn(
        'DueReminders',
        'people',
        'dueHandler',
        'Reminds of duties due today or next working day',
        Duration.minutes(5),
      ),
    );
    new events.Rule(this, 'DueReminderSchedule', {
      description: `Due reminders at ${DUE_REMINDER_TIME} China time, every day`,
      schedule: events.Schedule.cron(chinaTimeToUtcCron(DUE_REMINDER_TIME)),
      targets: [
        new targets.LambdaFunction(due, { retryAttempts: 2, deadLetterQueue: data.busDeadLetters.queue }),
      ],
    });

    // The API: an organisation registers its people; the county and ops read the outbox.
    const register = fn(
      'PutContact',
      'people',
      'putContactHandler',
      'PUT /contacts: registers a person and channel',
    );
    data.table.grantWriteData(register);
    data.grantReadSecret(contactsKey, register);
    api.route(HttpMethod.PUT, '/contacts', register, 'PutContact');
    const outbox = fn('Outbox', 'outbox', 'listHandler', 'GET /outbox: messages sent and waiting');
    data.table.grantReadData(outbox);
    api.route(HttpMethod.GET, '/outbox', outbox, 'ListOutbox');
  }
}
