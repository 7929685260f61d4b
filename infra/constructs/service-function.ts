import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, type Size } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { featuresOf } from '../config/partition';
import type { Platform } from './platform';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Template metadata naming a function's source entry, so the local cloud can run it from source. */
export const ENTRY_METADATA = 'kcbx:entry';

/** How every function is bundled by esbuild (also what `npm run bench` measures). */
export const LAMBDA_BUNDLE = {
  target: 'node22',
  minify: true,
  mainFields: ['module', 'main'],
  // Powertools and the X-Ray SDK still call require(); give ESM bundles one.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;

export interface ServiceFunctionProps {
  platform: Platform;
  /** Service name, e.g. roster-intake: also the Powertools service name. */
  service: string;
  /** Handler source, relative to the project root, e.g. services/identity/handlers/me.ts. */
  entry: string;
  /** The export to call (default `handler`), for files that hold several entry points. */
  handlerExport?: string;
  description: string;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  /**
   * The function's /tmp (Lambda's default and least is 512 MiB). A function that writes files sizes it from
   * its worst case, in a comment where it is set.
   */
  ephemeralStorage?: Size;
  /** At most this many invocations at once (1 serialises a consumer). */
  reservedConcurrency?: number;
  /**
   * Files the code reads at run time that esbuild cannot bundle (e.g. a font), copied from the project
   * into the bundle: `source` relative to the project root, `target` relative to the bundle root, which
   * Lambda serves from /var/task.
   */
  bundleFiles?: readonly { source: string; target: string }[];
}

/** Where Lambda puts a function's code (LAMBDA_TASK_ROOT): a bundled file is found under it. */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * A Lambda function with the house defaults: ESM bundle built by esbuild (minified, tree-shaken,
 * only the SDK clients it imports), ARM64, nodejs22.x, X-Ray active tracing where the partition offers
 * it, Powertools settings, its own KMS-encrypted log group, and a role that can write only to that log group.
 * Its errors are watched by its service's alarm (`alarmOnFunctionErrors`), not by one alarm each.
 */
export class ServiceFunction extends Construct {
  readonly fn: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const { platform } = props;
    // The China regions have no X-Ray integration with Lambda: no tracing config, no X-Ray permissions,
    // and the Powertools tracer switched off rather than left to look for a daemon that is not there.
    const { lambdaTracing } = featuresOf(platform.deployment.aws.region);
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: platform.deployment.local ? logs.RetentionDays.ONE_WEEK : logs.RetentionDays.ONE_YEAR,
      encryptionKey: platform.key,
      removalPolicy: platform.removalPolicy,
    });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.service}: ${props.description}`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    this.fn = new nodejs.NodejsFunction(this, 'Fn', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: props.handlerExport ?? 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(15),
      ephemeralStorageSize: props.ephemeralStorage,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: lambdaTracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: 'kcbx',
        ...(!lambdaTracing && { POWERTOOLS_TRACE_ENABLED: 'false' }),
        KCBX_DEPLOYMENT: platform.deployment.id,
        KCBX_REGION_CODE: platform.deployment.regionCode,
        KCBX_REGION_SETTINGS: JSON.stringify(platform.deployment.settings),
        ...props.environment,
      },
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: true,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        externalModules: [],
        ...(props.bundleFiles?.length && {
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            // Runs where the bundle is built (locally or in the bundling container): both paths are theirs.
            afterBundling: (inputDir: string, outputDir: string) =>
              (props.bundleFiles ?? []).map(
                (f) =>
                  `cp "${path.posix.join(inputDir, f.source)}" "${path.posix.join(outputDir, f.target)}"`,
              ),
          },
        }),
      },
    });
    (this.fn.node.defaultChild as lambda.CfnFunction).addMetadata(ENTRY_METADATA, props.entry);

    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; KMS grants use the ' +
            'GenerateDataKey*/ReEncrypt* action families on this deployment key only; DynamoDB index ARNs end in /index/*; roster bucket grants are limited to the incoming/ or reports/ prefix.',
          appliesTo: [
            'Resource::*',
            'Action::kms:GenerateDataKey*',
            'Action::kms:ReEncrypt*',
            { regex: '/^Resource::<.*Table.*\\.Arn>\\/index\\/\\*$/g' },
            { regex: '/^Resource::<.*(Bucket|Rosters).*\\.Arn>\\/(incoming\\/|reports\\/)?\\*$/g' },
          ],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(this.fn, [
      {
        id: 'AwsSolutions-L1',
        reason:
          'nodejs22.x is the runtime the bundles are built (target node22) and tested for; moving is deliberate.',
      },
    ]);
  }
}

/**
 * The function factory of one service: each function shares the platform, the service name and the
 * environment, runs `services/<service>/handlers/<entry>.ts`, and is `new ServiceFunction(scope, id, …)`,
 * so its logical IDs are those the id gives under `scope`.
 */
export function serviceFunctions(
  scope: Construct,
  platform: Platform,
  service: string,
  environment: Record<string, string>,
) {
  return (
    id: string,
    entry: string,
    handlerExport: string,
    description: string,
    timeout?: Duration,
    memorySize?: number,
  ) =>
    new ServiceFunction(scope, id, {
      platform,
      service,
      entry: `services/${service}/handlers/${entry}.ts`,
      handlerExport,
      description,
      environment,
      timeout,
      memorySize,
    }).fn;
}

/** CloudWatch's hard limit on the metrics one metric-math alarm may read. */
export const METRICS_PER_ALARM = 10;

/**
 * The errors alarms of one service, `<service>Errors` (then `<service>Errors2` …): the `Errors` of its
 * functions summed by a metric-math expression, one alarm per ten functions (CloudWatch's limit), each
 * metric labelled with its function so that the alarm's graph shows which one failed. An operator is paged once for a failing service rather than
 * once per function, and the template holds one alarm where it held ten.
 */
export function alarmOnFunctionErrors(
  scope: Construct,
  service: string,
  functions: readonly { label: string; fn: lambda.IFunction }[],
  alarmTopic: Platform['alarmTopic'],
): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  const parts = Math.ceil(functions.length / METRICS_PER_ALARM);
  for (let part = 0; part < parts; part++) {
    const watched = functions.slice(part * METRICS_PER_ALARM, (part + 1) * METRICS_PER_ALARM);
    const ids = watched.map((_, i) => `f${i}`);
    const errors = new cloudwatch.MathExpression({
      // FILL: a function that was not invoked reports no datapoint, which must not hide another's error.
      expression: `SUM(FILL([${ids.join(', ')}], 0))`,
      usingMetrics: Object.fromEntries(
        watched.map(({ label, fn }, i) => [
          ids[i],
          fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum', label }),
        ]),
      ),
      period: Duration.minutes(5),
      label: `${service}: errors of ${watched.length} functions`,
    });
    const alarm = new cloudwatch.Alarm(scope, `${service}Errors${part === 0 ? '' : part + 1}`, {
      metric: errors,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `${service}: a function failed in the last 5 minutes` +
        `${parts > 1 ? ` (functions ${part * METRICS_PER_ALARM + 1}–${part * METRICS_PER_ALARM + watched.length} of ${functions.length})` : ''}. ` +
        `The alarm graph shows the errors of each of ${watched.map((w) => w.label).join(', ')}: read the log group of the one that failed.`,
    });
    alarm.addAlarmAction(new actions.SnsAction(alarmTopic));
    alarms.push(alarm);
  }
  return alarms;
}
