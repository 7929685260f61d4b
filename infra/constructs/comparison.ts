import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { ServiceFunction, serviceFunctions } from './service-function';

const WORKER_TIMEOUT = Duration.minutes(15);

/**
 * Comparison (四查三比对): recomputes a region's results when a roster is accepted or a county
 * asks, and publishes what changed. See services/comparison/README.md.
 */
export class Comparison extends Construct {
  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api } = platform;
    const runs = new DurableQueue(this, 'Runs', {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      removalPolicy: platform.removalPolicy,
    });
    const environment = {
      KCBX_TABLE: data.table.tableName,
      KCBX_ROSTER_BUCKET: data.rosterBucket.bucketName,
    };

    const worker = new ServiceFunction(this, 'Worker', {
      platform,
      service: 'comparison',
      entry: 'services/comparison/handlers/worker.ts',
      description: 'Recomputes the comparison of the region and publishes what changed',
      timeout: WORKER_TIMEOUT,
      // One region of up to ~1 million children in one invocation: memory grows with children.
      memorySize: 4096,
      environment: { ...environment, KCBX_EVENT_BUS: data.bus.eventBusName },
      // Runs of one region never overlap: each reads and updates the region's reported outcomes.
      reservedConcurrency: 1,
    }).fn;
    data.table.grantReadWriteData(worker);
    data.grantWriteObjects(worker, 'reports/');
    data.bus.grantPutEventsTo(worker);
    worker.addEventSource(new SqsEventSource(runs.queue, { batchSize: 1, reportBatchItemFailures: true }));

    new events.Rule(this, 'OnRosterAccepted', {
      eventBus: data.bus,
      description: 'A roster that takes part in the comparison was accepted',
      eventPattern: {
        source: ['kcbx.roster-intake'],
        detailType: ['roster.accepted'],
        detail: {
          kind: ['household', 'enrollment', 'headcount', 'poverty', 'assistance', 'disability', 'deferral'],
        },
      },
      targets: [
        new targets.SqsQueue(runs.queue, { deadLetterQueue: data.busDeadLetters.queue, retryAttempts: 10 }),
      ],
    });

    const serviceFn = serviceFunctions(this, platform, 'comparison', environment);
    const fn = (fid: string, handlerExport: string, description: string) =>
      serviceFn(fid, 'api', handlerExport, description);
    const start = fn('Start', 'startHandler', 'POST /comparisons: queues a recomputation');
    start.addEnvironment('KCBX_COMPARISON_QUEUE_URL', runs.queue.queueUrl);
    runs.queue.grantSendMessages(start);
    api.route(HttpMethod.POST, '/comparisons', start, 'StartComparison');
    const get = fn('Get', 'getHandler', 'GET /comparisons/{id}: status and counts');
    const results = fn('Results', 'resultsHandler', 'GET /comparisons/{id}/results: a page of results');
    const exporter = fn('Export', 'exportHandler', 'GET /comparisons/{id}/export: link to the workbook');
    for (const f of [get, results, exporter]) data.table.grantReadData(f);
    data.grantReadObjects(exporter, 'reports/');
    api.route(HttpMethod.GET, '/comparisons/{id}', get, 'GetComparison');
    api.route(HttpMethod.GET, '/comparisons/{id}/results', results, 'ComparisonResults');
    api.route(HttpMethod.GET, '/comparisons/{id}/export', exporter, 'ExportComparison');
  }
}
