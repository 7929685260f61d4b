import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { ServiceFunction } from '../../infra/constructs/service-function';
import type { RegionStack } from '../../infra/stacks/region-stack';

/**
 * A test subscriber: a rule on the deployment bus whose target records every matching event in
 * the data table under `recorded#<recordAs>` (see test/fixtures/handlers/recorder.ts).
 */
export function addEventRecorder(
  stack: RegionStack,
  id: string,
  pattern: events.EventPattern,
  recordAs: string,
) {
  const { platform } = stack;
  const scope = new Construct(stack, id);
  const fn = new ServiceFunction(scope, 'Recorder', {
    platform,
    service: 'test',
    entry: 'test/fixtures/handlers/recorder.ts',
    description: 'Records the events a partner would receive',
    environment: { RECORD_TABLE: platform.data.table.tableName, RECORD_AS: recordAs },
    timeout: Duration.seconds(5),
  }).fn;
  platform.data.table.grantWriteData(fn);
  new events.Rule(scope, 'Rule', {
    eventBus: platform.data.bus,
    eventPattern: pattern,
    targets: [new targets.LambdaFunction(fn)],
  });
}
