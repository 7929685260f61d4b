import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import type { Observability } from './observability';

export interface SqsBatchOptions<S extends z.ZodType> {
  observability: Observability;
  /** Shape of each message body (parsed from JSON). */
  body: S;
  handleRecord: (message: z.output<S>, record: SQSRecord, context: Context) => Promise<void>;
}

/**
 * The house stack for an SQS consumer. Records are handled one by one; a record that fails, or
 * whose body does not match the schema, is reported back as a batch item failure so that SQS
 * retries it alone and, after maxReceiveCount, moves it to the DLQ — nothing is dropped, and
 * the records that succeeded are not delivered again. Consumers must still be idempotent:
 * delivery is at least once.
 */
export function sqsBatchHandler<S extends z.ZodType>(options: SqsBatchOptions<S>) {
  const { logger, metrics, tracer } = options.observability;
  const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    metrics.addMetric('Records', 'Count', event.Records.length);
    for (const record of event.Records) {
      try {
        let json: unknown;
        try {
          json = JSON.parse(record.body);
        } catch {
          throw new Error('message body is not JSON');
        }
        const parsed = options.body.safeParse(json);
        if (!parsed.success) {
          throw new Error(
            `message does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
          );
        }
        await options.handleRecord(parsed.data, record, context);
      } catch (err) {
        logger.error('record failed; SQS will retry it, then move it to the DLQ', {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          error: err as Error,
        });
        metrics.addMetric('FailedRecords', 'Count', 1);
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
  return middy(base)
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
