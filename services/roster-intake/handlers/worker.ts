import type { SQSRecord } from 'aws-lambda';
import { z } from 'zod';
import { childKeyer } from '../../../shared/aws/pseudonym-secret';
import { publishEvents } from '../../../shared/aws/publish';
import { putReport } from '../../../shared/aws/reports';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { openRosterObject } from '../adapters/roster-objects';
import {
  claimUpload,
  finishUpload,
  markPublished,
  supersedePrevious,
  writeRows,
} from '../adapters/uploads-repo';
import { processRoster, rosterEvent } from '../domain/intake';
import { uploadIdFromKey } from '../domain/upload';

const observability = createObservability('roster-intake');
const { logger, metrics } = observability;

/** The S3 event notification SQS delivers (or S3's one-off test event, which is ignored). */
const s3NotificationSchema = z.union([
  z.object({
    Records: z.array(
      z.object({
        eventName: z.string(),
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({
            key: z.string(),
            size: z.number().optional(),
            versionId: z.string().optional(),
            eTag: z.string().optional(),
          }),
        }),
      }),
    ),
  }),
  z.object({ Event: z.literal('s3:TestEvent') }),
]);

/**
 * The intake worker: for each uploaded object, claims its upload for that object version, streams
 * and validates the file, stores accepted rows in batches, writes the report, records the outcome
 * and then publishes roster.accepted / roster.rejected (an outbox flag makes a redelivery publish
 * what a crash left unpublished, and nothing twice).
 */
export const handler = sqsBatchHandler({
  observability,
  body: s3NotificationSchema,
  handleRecord: async (notification, _record: SQSRecord) => {
    if (!('Records' in notification)) return;
    for (const r of notification.Records) {
      const key = decodeURIComponent(r.s3.object.key.replace(/\+/g, ' '));
      const uploadId = uploadIdFromKey(key);
      if (!uploadId) {
        logger.warn('object is not an upload of this service; ignored', { key });
        continue;
      }
      const version = r.s3.object.versionId ?? r.s3.object.eTag ?? 'unversioned';
      const now = () => new Date().toISOString();
      const claim = await claimUpload(uploadId, version, now());
      if (claim.kind === 'unknown') {
        logger.warn('no upload record for this object; ignored', { uploadId });
        continue;
      }
      if (claim.kind === 'other-version') {
        logger.warn('a second object version for an upload that already has one; ignored', { uploadId });
        continue;
      }
      let upload = claim.upload;
      if (claim.kind === 'claimed') {
        const object = await openRosterObject(key, r.s3.object.versionId);
        const keyOf = await childKeyer();
        const outcome = await processRoster({
          upload,
          object,
          today: now().slice(0, 10),
          maxBytes: Number(process.env.KCBX_MAX_UPLOAD_BYTES),
          childKeyOf: keyOf,
          writeRows,
        });
        const reportBase = `reports/${upload.region}/${upload.org}/${upload.id}/report`;
        await putReport(
          `${reportBase}.xlsx`,
          outcome.reportXlsx,
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        );
        await putReport(`${reportBase}.csv`, outcome.reportCsv, 'text/csv; charset=utf-8');
        // The new roster becomes current before the upload reads as accepted, so a client that sees
        // "accepted" also sees what it superseded. Its rows are all stored by now.
        const order = outcome.status === 'accepted' ? await supersedePrevious(upload) : {};
        if (order.supersedes)
          logger.info('upload supersedes the previous one', { uploadId, previous: order.supersedes });
        upload = await finishUpload(upload.id, version, {
          status: order.supersededBy ? 'superseded' : outcome.status,
          supersededBy: order.supersededBy,
          summary: outcome.summary,
          problems: outcome.problems,
          reportKeys: { xlsx: `${reportBase}.xlsx`, csv: `${reportBase}.csv` },
          now: now(),
        });
        metrics.addMetric(outcome.status === 'accepted' ? 'UploadsAccepted' : 'UploadsRejected', 'Count', 1);
        metrics.addMetric('RowsAccepted', 'Count', outcome.summary.accepted);
        // Counts only: a message such as "header not found" may quote a row of the file.
        const { rows, accepted, rejected, duplicates, warnings, skipped } = outcome.summary;
        logger.info('upload processed', {
          uploadId,
          status: outcome.status,
          rows,
          accepted,
          rejected,
          duplicates,
          warnings,
          skipped,
        });
      }
      if (upload.published) continue;
      await publishEvents([rosterEvent(upload)]);
      await markPublished(upload.id);
    }
  },
});
