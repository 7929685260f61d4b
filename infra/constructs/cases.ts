import { createRequire } from 'node:module';
import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { LAMBDA_TASK_ROOT, PROJECT_ROOT, ServiceFunction, serviceFunctions } from './service-function';

/** China has one time zone and no daylight saving: local = UTC + 8. */
const CHINA_UTC_OFFSET_HOURS = 8;

/** The UTC cron fields of a daily local time "HH:MM" in China. */
export function chinaTimeToUtcCron(hhmm: string): { hour: string; minute: string } {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return { hour: String((h - CHINA_UTC_OFFSET_HOURS + 24) % 24), minute: String(m) };
}

/** The sweep runs early in the morning, before schools start work, China time. */
const SWEEP_TIME = '06:30';

/**
 * The font the case documents are set in (Noto Sans Hans, from the npm package @embedpdf/fonts-sc, 8 MB):
 * esbuild bundles code, not fonts, so the file is copied next to the bundle and KCBX_DOCUMENT_FONT
 * names it (services/cases/documents/render.ts).
 */
export const DOCUMENT_FONT_FILE = 'NotoSansHans-Regular.otf';
function documentFontSource(): string {
  const entry = createRequire(import.meta.url).resolve('@embedpdf/fonts-sc');
  return path.join(path.dirname(entry), '..', 'fonts', DOCUMENT_FONT_FILE);
}

/**
 * Cases (一生一案): opens a case per suspected dropout, runs the daily attendance rule and the
 * deadline sweep, and serves the case API. See services/cases/README.md.
 */
export class Cases extends Construct {
  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api, deployment } = platform;
    const environment = {
      KCBX_TABLE: data.table.tableName,
      KCBX_EVENT_BUS: data.bus.eventBusName,
      KCBX_PSEUDONYM_SECRET_ARN: data.pseudonymSecret.secretArn,
      KCBX_ROSTER_BUCKET: data.rosterBucket.bucketName,
      KCBX_AUDIT_TABLE: data.auditTable.tableName,
    };
    const fn = serviceFunctions(this, platform, 'cases', environment);
    // The attendance rule holds a county's 45 days of attendance in memory: ~1.5 M rows for 50,000
    // pupils, 7 s on one core (bench/README.md).
    const ATTENDANCE_MEMORY = 3008;
    const grantAuditWrite = (f: lambda.Function) => {
      data.auditTable.grant(f, 'dynamodb:PutItem');
      data.auditTable.encryptionKey?.grant(f, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*');
    };
    const writer = (f: lambda.Function) => {
      data.table.grantReadWriteData(f);
      data.bus.grantPutEventsTo(f);
      return f;
    };

    // Signals: dropout.suspected → queue → a case per child.
    const signals = new DurableQueue(this, 'SignalQueue', {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(30 * 6),
      removalPolicy: platform.removalPolicy,
    });
    const consumer = writer(
      fn(
        'Signals',
        'signals',
        'handler',
        'Opens a case or adds the signal to the open one',
        Duration.seconds(30),
      ),
    );
    consumer.addEventSource(
      new SqsEventSource(signals.queue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    new events.Rule(this, 'OnDropoutSuspected', {
      eventBus: data.bus,
      description: 'A child is suspected of having dropped out, or a later comparison explains one',
      eventPattern: {
        source: ['kcbx.comparison', 'kcbx.cases'],
        detailType: ['dropout.suspected', 'dropout.resolved'],
      },
      targets: [
        new targets.SqsQueue(signals.queue, {
          deadLetterQueue: data.busDeadLetters.queue,
          retryAttempts: 10,
        }),
      ],
    });

    // The case API.
    const open = writer(
      fn('Open', 'api', 'openHandler', 'POST /cases: a manual report opens or joins a case'),
    );
    data.grantReadSecret(data.pseudonymSecret, open);
    api.route(HttpMethod.POST, '/cases', open, 'OpenCase');
    const list = fn('List', 'api', 'listHandler', 'GET /cases: cases of the caller, with filters');
    const get = fn('Get', 'api', 'getHandler', 'GET /cases/{id}: a case with its history');
    for (const f of [list, get]) data.table.grantReadData(f);
    // Reads of children's records leave a trace (docs/domain.md §7.5); the services may only add to it.
    grantAuditWrite(get);
    api.route(HttpMethod.GET, '/cases', list, 'ListCases');
    api.route(HttpMethod.GET, '/cases/{id}', get, 'GetCase');
    const act = writer(fn('Act', 'api', 'actionHandler', 'POST /cases/{id}/actions: one command on a case'));
    api.route(HttpMethod.POST, '/cases/{id}/actions', act, 'CaseAction');

    // Attendance: one school day, and the daily rule at the region's cut-off.
    const record = fn('RecordAttendance', 'attendance', 'recordHandler', 'POST /attendance: one school day');
    data.table.grantReadWriteData(record);
    data.grantReadSecret(data.pseudonymSecret, record);
    api.route(HttpMethod.POST, '/attendance', record, 'RecordAttendance');
    const check = writer(
      fn(
        'AttendanceCheck',
        'attendance',
        'scheduledHandler',
        'Daily attendance rule',
        Duration.minutes(5),
        ATTENDANCE_MEMORY,
      ),
    );
    new events.Rule(this, 'AttendanceSchedule', {
      description: `Attendance rule at the cut-off ${deployment.settings.attendanceCutoff} China time, every day`,
      schedule: events.Schedule.cron(chinaTimeToUtcCron(deployment.settings.attendanceCutoff)),
      targets: [
        new targets.LambdaFunction(check, { retryAttempts: 2, deadLetterQueue: data.busDeadLetters.queue }),
      ],
    });
    const runCheck = writer(
      fn(
        'RunAttendanceCheck',
        'attendance',
        'runHandler',
        'POST /checks/attendance: run the rule for a day',
        Duration.seconds(29),
        ATTENDANCE_MEMORY,
      ),
    );
    api.route(HttpMethod.POST, '/checks/attendance', runCheck, 'RunAttendanceCheck');

    // Deadlines: the daily sweep.
    const sweep = writer(
      fn('Sweep', 'daily', 'scheduledHandler', 'Daily deadline sweep', Duration.minutes(10)),
    );
    new events.Rule(this, 'SweepSchedule', {
      description: `Deadline sweep at ${SWEEP_TIME} China time, every day`,
      schedule: events.Schedule.cron(chinaTimeToUtcCron(SWEEP_TIME)),
      targets: [
        new targets.LambdaFunction(sweep, { retryAttempts: 2, deadLetterQueue: data.busDeadLetters.queue }),
      ],
    });
    const runSweep = writer(
      fn('RunSweep', 'daily', 'runHandler', 'POST /checks/deadlines: sweep as of a day'),
    );
    api.route(HttpMethod.POST, '/checks/deadlines', runSweep, 'RunDeadlineSweep');
    // Snapshots are frozen by the sweep under reports/ (JSON), read back by the snapshot route.
    for (const f of [sweep, runSweep]) {
      data.grantWriteObjects(f, 'reports/');
      data.grantReadObjects(f, 'reports/');
    }

    // Ledgers (台账), snapshots and statistics.
    const report = (fid: string, handlerExport: string, description: string, route: string) => {
      const f = fn(fid, 'reports', handlerExport, description, Duration.seconds(60));
      data.table.grantReadData(f);
      data.grantReadObjects(f, 'reports/');
      grantAuditWrite(f);
      api.route(HttpMethod.GET, route, f, fid);
      return f;
    };
    report('Ledgers', 'ledgersHandler', 'GET /ledgers: the three Ministry ledgers as of a date', '/ledgers');
    const exporter = report(
      'LedgerExport',
      'ledgerExportHandler',
      'GET /ledgers/export: the ledger workbook',
      '/ledgers/export',
    );
    data.grantWriteObjects(exporter, 'reports/');
    report(
      'Snapshots',
      'snapshotsHandler',
      'GET /ledgers/snapshots: frozen ledger snapshots',
      '/ledgers/snapshots',
    );
    report('Stats', 'statsHandler', 'GET /stats: case statistics of a period', '/stats');

    // Documents: the notices and the 报告单 a case calls for, as PDF kept with the case. The
    // case's own events, and requests for a change no event announces, go through one queue.
    const documentRequests = new DurableQueue(this, 'DocumentQueue', {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(60 * 6),
      removalPolicy: platform.removalPolicy,
    });
    const fontSource = documentFontSource();
    const documents = writer(
      new ServiceFunction(this, 'Documents', {
        platform,
        service: 'cases',
        entry: 'services/cases/handlers/documents.ts',
        handlerExport: 'handler',
        description: 'Generates the documents a case calls for and keeps them with the case',
        environment: {
          ...environment,
          KCBX_REGION_NAME: regionName(deployment.name),
          // The local cloud runs functions from source, so there the font is the package's own file.
          KCBX_DOCUMENT_FONT: deployment.local
            ? fontSource
            : path.posix.join(LAMBDA_TASK_ROOT, DOCUMENT_FONT_FILE),
        },
        timeout: Duration.seconds(60),
        // A first render parses the 8 MB font (~1 s at 1 GB); the parsed font is kept for the next ones.
        memorySize: 1024,
        bundleFiles: [{ source: path.relative(PROJECT_ROOT, fontSource), target: DOCUMENT_FONT_FILE }],
      }).fn,
    );
    // Write a document once; read it back when a racing delivery stored it first.
    data.grantWriteObjects(documents, 'reports/');
    data.grantReadObjects(documents, 'reports/');
    documents.addEventSource(
      new SqsEventSource(documentRequests.queue, { batchSize: 5, reportBatchItemFailures: true }),
    );
    new events.Rule(this, 'OnCaseChanged', {
      eventBus: data.bus,
      description: 'A case opened or changed state: the documents it calls for are generated',
      eventPattern: { source: ['kcbx.cases'], detailType: ['case.opened', 'case.state-changed'] },
      targets: [
        new targets.SqsQueue(documentRequests.queue, {
          deadLetterQueue: data.busDeadLetters.queue,
          retryAttempts: 10,
        }),
      ],
    });
    // A command that calls for a document without changing state (a 催告书) asks for it directly; the
    // daily sweep asks again for what an open case still lacks.
    for (const f of [act, sweep, runSweep]) {
      f.addEnvironment('KCBX_DOCUMENTS_QUEUE_URL', documentRequests.queue.queueUrl);
      documentRequests.queue.grantSendMessages(f);
    }
    // GET /cases/{id}/documents/{documentId}: a 5-minute link to one of them; the download is audited.
    const documentLink = fn(
      'DocumentLink',
      'api',
      'documentHandler',
      'GET /cases/{id}/documents/{documentId}: a link to one document of a case',
    );
    data.table.grantReadData(documentLink);
    grantAuditWrite(documentLink);
    data.grantReadObjects(documentLink, 'reports/');
    api.route(HttpMethod.GET, '/cases/{id}/documents/{documentId}', documentLink, 'GetCaseDocument');
  }
}

/** The region's name as documents print it: without a note such as the local deployment's "(local)". */
function regionName(name: string): string {
  return name.replace(/\s*\([^)]*\)\s*$/, '');
}
