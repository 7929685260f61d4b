import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DurableQueue } from '../../infra/constructs/durable-queue';
import { ServiceFunction } from '../../infra/constructs/service-function';
import type { RegionStack } from '../../infra/stacks/region-stack';

/**
 * A throwaway service added to the local stack the way every service is, in a nested stack of its own
 * (`ThrowawayStack`): a queue with a consumer, bus rules (one that matches, one that must not), an S3
 * notification, a schedule and a role-restricted route. The local cloud has no code that knows about
 * any of them.
 */
export function addThrowawayConstruct(stack: RegionStack): void {
  stack.addService('Throwaway', (serviceScope) =>
    addThrowaway(new Construct(serviceScope, 'Throwaway'), stack),
  );
}

function addThrowaway(scope: Construct, stack: RegionStack): void {
  const { platform } = stack;
  const recorder = (id: string, recordAs: string) => {
    const f = new ServiceFunction(scope, id, {
      platform,
      service: 'test',
      entry: 'test/fixtures/handlers/recorder.ts',
      description: 'Records what it receives',
      environment: { RECORD_TABLE: platform.data.table.tableName, RECORD_AS: recordAs },
      timeout: Duration.seconds(5),
    });
    platform.data.table.grantWriteData(f.fn);
    return f.fn;
  };
  const queue = (id: string) =>
    new DurableQueue(scope, id, {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(5),
      maxReceiveCount: 2,
      removalPolicy: platform.removalPolicy,
    });

  const work = queue('Work');
  recorder('Consumer', 'consumer').addEventSource(
    new SqsEventSource(work.queue, { batchSize: 10, reportBatchItemFailures: true }),
  );

  const bus = platform.data.bus;
  new events.Rule(scope, 'Matching', {
    eventBus: bus,
    eventPattern: { source: ['kcbx.test'], detailType: ['thing.happened'], detail: { kind: ['a'] } },
    targets: [new targets.LambdaFunction(recorder('RuleA', 'rule-a'))],
  });
  new events.Rule(scope, 'NotMatching', {
    eventBus: bus,
    eventPattern: { source: ['kcbx.test'], detail: { kind: ['b'] } },
    targets: [new targets.LambdaFunction(recorder('RuleB', 'rule-b'))],
  });

  const uploads = queue('Uploads');
  platform.data.notifyObjectCreated(uploads.queue, { prefix: 'incoming/' });
  recorder('UploadConsumer', 'upload').addEventSource(
    new SqsEventSource(uploads.queue, { reportBatchItemFailures: true }),
  );

  new events.Rule(scope, 'Evening', {
    schedule: events.Schedule.expression('cron(0 10 * * ? *)'),
    targets: [new targets.LambdaFunction(recorder('Scheduled', 'schedule'))],
  });

  const countyOnly = new ServiceFunction(scope, 'CountyOnly', {
    platform,
    service: 'test',
    entry: 'test/fixtures/handlers/county-only.ts',
    description: 'A route only county bureaus may call',
  });
  platform.api.route(HttpMethod.GET, '/test/county-only', countyOnly.fn, 'CountyOnly');
}

/** The work queue's logical-id prefix in the template. */
export const THROWAWAY = { work: 'ThrowawayWorkQueue', workDlq: 'ThrowawayWorkDlq' };
