import { Duration, Size } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { DEFAULT_MAX_UPLOAD_BYTES } from '../../services/roster-intake/domain/upload';
import { DurableQueue } from './durable-queue';
import type { Platform } from './platform';
import { ServiceFunction } from './service-function';

const WORKER_TIMEOUT = Duration.minutes(5);

/**
 * The worker's /tmp, sized from what one invocation can leave there at worst: nothing.
 * - The roster is streamed from S3 and never written to disk. exceljs would park a worksheet that comes
 *   before the shared strings (every file Excel saves) in a temporary file: up to maxUncompressedBytes,
 *   500 MiB, i.e. 10× the 50 MiB upload limit (DEFAULT_MAX_UPLOAD_BYTES) at the guard's cap on inflation,
 *   per read. A refused sheet's file stayed until the process exited, which in a warm sandbox is never, so
 *   no size would have been enough. The reader reads such a file twice from S3 instead
 *   (services/roster-intake/domain/read-xlsx.ts), and its tests assert the temp folder stays empty.
 * - The reports are built in memory and put to S3; the queue hands the worker one message at a time.
 * So 0 bytes of roster data, plus headroom for the runtime's own use: Lambda's least, 512 MiB, which costs
 * nothing extra. It is set rather than left to the default so that a change that writes to /tmp must size
 * it here (worst case per read × reads that can leave files behind, with headroom).
 */
const WORKER_EPHEMERAL_STORAGE = Size.mebibytes(512);

/**
 * Roster intake (名单上报): pre-signed uploads, the worker that validates every row, and the
 * upload/report API. See services/roster-intake/README.md.
 */
export class RosterIntake extends Construct {
  readonly intakeQueue: DurableQueue;

  constructor(scope: Construct, id: string, platform: Platform) {
    super(scope, id);
    const { data, api } = platform;
    const environment = {
      KCBX_TABLE: data.table.tableName,
      KCBX_ROSTER_BUCKET: data.rosterBucket.bucketName,
      KCBX_MAX_UPLOAD_BYTES: String(DEFAULT_MAX_UPLOAD_BYTES),
    };
    const fn = (
      fid: string,
      entry: string,
      description: string,
      extra: Partial<ConstructorParameters<typeof ServiceFunction>[2]> = {},
    ) =>
      new ServiceFunction(this, fid, {
        platform,
        service: 'roster-intake',
        entry: `services/roster-intake/handlers/${entry}`,
        description,
        environment,
        ...extra,
      }).fn;

    const create = fn(
      'CreateUpload',
      'create-upload.ts',
      'POST /uploads: records an upload and signs its POST',
    );
    data.table.grantWriteData(create);
    data.grantWriteObjects(create, 'incoming/');
    api.route(HttpMethod.POST, '/uploads', create, 'CreateUpload');

    const get = fn('GetUpload', 'uploads-read.ts', 'GET /uploads/{id}: status and summary', {
      handlerExport: 'getHandler',
    });
    const list = fn('ListUploads', 'uploads-read.ts', 'GET /uploads: uploads of an organisation', {
      handlerExport: 'listHandler',
    });
    const report = fn('GetReport', 'uploads-read.ts', 'GET /uploads/{id}/report: link to the row report', {
      handlerExport: 'reportHandler',
    });
    for (const f of [get, list, report]) data.table.grantReadData(f);
    data.grantReadObjects(report, 'reports/');
    api.route(HttpMethod.GET, '/uploads/{id}', get, 'GetUpload');
    api.route(HttpMethod.GET, '/uploads', list, 'ListUploads');
    api.route(HttpMethod.GET, '/uploads/{id}/report', report, 'GetReport');

    const worker = fn(
      'Worker',
      'worker.ts',
      'Validates an uploaded roster, stores its rows, writes the report',
      {
        timeout: WORKER_TIMEOUT,
        memorySize: 1024,
        ephemeralStorage: WORKER_EPHEMERAL_STORAGE,
        environment: {
          ...environment,
          KCBX_EVENT_BUS: data.bus.eventBusName,
          KCBX_PSEUDONYM_SECRET_ARN: data.pseudonymSecret.secretArn,
        },
      },
    );
    data.table.grantReadWriteData(worker);
    data.grantReadObjects(worker, 'incoming/');
    data.grantWriteObjects(worker, 'reports/');
    data.bus.grantPutEventsTo(worker);
    data.grantReadSecret(data.pseudonymSecret, worker);

    this.intakeQueue = new DurableQueue(this, 'Intake', {
      key: platform.key,
      alarmTopic: platform.alarmTopic,
      visibilityTimeout: Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6),
      removalPolicy: platform.removalPolicy,
    });
    data.notifyObjectCreated(this.intakeQueue.queue, { prefix: 'incoming/' });
    worker.addEventSource(
      new SqsEventSource(this.intakeQueue.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );
  }
}
