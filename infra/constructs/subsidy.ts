import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { BUILT_IN_POLICIES, builtInPolicy } from '../../services/subsidy/domain/policies/built-in';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { ServiceFunction, serviceFunctions } from './service-function';

const WORKER_TIMEOUT = Duration.minutes(15);

/**
 * Subsidy (两免一补): determines a semester's benefits for the region when an enrollment or category
 * roster is accepted or a county asks, stores the decisions and the payment list, and publishes
 * subsidy.determined / subsidy.held; the county publishes its policy versions. See
 * services/subsidy/README.md.
 */
export class Subsidy extends Construct {
  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api, deployment } = platform;
    // The region setting names the built-in used when the county has published no version in force; a
    // name kcbx does not ship would fail every such run: refuse it at synth time.
    const policy = deployment.settings.subsidyPolicy;
    if (!builtInPolicy(policy)) {
      throw new Error(
        `${deployment.id}: settings.subsidyPolicy "${policy}" is not a built-in policy (${[...BUILT_IN_POLICIES.keys()].join(', ')})`,
      );
    }

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
      service: 'subsidy',
      entry: 'services/subsidy/handlers/worker.ts',
      description: "Determines a semester's subsidies for the region and publishes the totals and holds",
      timeout: WORKER_TIMEOUT,
      // A county's children and their decisions (children × benefits) are held in memory for one run.
      memorySize: 4096,
      environment: { ...environment, KCBX_EVENT_BUS: data.bus.eventBusName },
      // Runs never overlap: each reads the previous run's bindings (the transfer rule) and writes its own.
      reservedConcurrency: 1,
    }).fn;
    data.table.grantReadWriteData(worker);
    data.grantWriteObjects(worker, 'reports/');
    data.bus.grantPutEventsTo(worker);
    worker.addEventSource(new SqsEventSource(runs.queue, { batchSize: 1, reportBatchItemFailures: true }));

    new events.Rule(this, 'OnRosterAccepted', {
      eventBus: data.bus,
      description: 'An enrollment or category roster that subsidies rest on was accepted',
      eventPattern: {
        source: ['kcbx.roster-intake'],
        detailType: ['roster.accepted'],
        detail: { kind: ['enrollment', 'poverty', 'assistance', 'disability'] },
      },
      targets: [
        new targets.SqsQueue(runs.queue, { deadLetterQueue: data.busDeadLetters.queue, retryAttempts: 10 }),
      ],
    });

    const serviceFn = serviceFunctions(this, platform, 'subsidy', environment);
    const fn = (fid: string, handlerExport: string, description: string) =>
      serviceFn(fid, 'api', handlerExport, description);
    const start = fn('Start', 'startHandler', 'POST /subsidies/runs: records and queues a run');
    start.addEnvironment('KCBX_SUBSIDY_QUEUE_URL', runs.queue.queueUrl);
    data.table.grantReadWriteData(start);
    runs.queue.grantSendMessages(start);
    api.route(HttpMethod.POST, '/subsidies/runs', start, 'StartSubsidyRun');

    const get = fn('Get', 'getHandler', 'GET /subsidies/runs/{id}: status and totals');
    const decisions = fn('Decisions', 'decisionsHandler', 'GET /subsidies/runs/{id}/decisions: a page');
    const list = fn('PaymentList', 'paymentListHandler', 'GET /subsidies/runs/{id}/payment-list: a link');
    for (const f of [get, decisions, list]) data.table.grantReadData(f);
    data.grantReadObjects(list, 'reports/');
    api.route(HttpMethod.GET, '/subsidies/runs/{id}', get, 'GetSubsidyRun');
    api.route(HttpMethod.GET, '/subsidies/runs/{id}/decisions', decisions, 'SubsidyDecisions');
    api.route(HttpMethod.GET, '/subsidies/runs/{id}/payment-list', list, 'SubsidyPaymentList');

    const policies = fn('Policies', 'policiesHandler', 'GET /subsidies/policies: built-in and published');
    const onePolicy = fn('Policy', 'policyHandler', 'GET /subsidies/policies/{id}/{version}: one document');
    for (const f of [policies, onePolicy]) data.table.grantReadData(f);
    api.route(HttpMethod.GET, '/subsidies/policies', policies, 'SubsidyPolicies');
    api.route(HttpMethod.GET, '/subsidies/policies/{id}/{version}', onePolicy, 'SubsidyPolicy');
    // Publishing reads the county's versions and writes one item, once (a conditional put).
    const publish = fn(
      'PublishPolicy',
      'publishPolicyHandler',
      'POST /subsidies/policies: publishes a version',
    );
    data.table.grantReadWriteData(publish);
    api.route(HttpMethod.POST, '/subsidies/policies', publish, 'PublishSubsidyPolicy');
  }
}
