/**
 * The deliver function: consumes the Deliveries queue that HTTPS subscriptions' rules feed, and
 * delivers each event to its partner's endpoint — minimised, signed, in order per child, retried with
 * backoff, parked in the subscription's dead-letter queue after the last attempt
 * (adapters/deliveries.ts).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { createObservability } from '../../../shared/runtime/observability';
import { type DeliveryItem, deliverBatch, deliverySettings } from '../adapters/deliveries';
import { notificationsEnv } from '../adapters/subscription-rules';

const observability = createObservability('notifications');
const { logger, metrics, tracer } = observability;

const messageSchema = z.object({
  subscriptionId: z.string().min(1),
  event: z.looseObject({
    id: z.string(),
    'detail-type': z.string(),
    source: z.string(),
    time: z.string(),
    detail: z.record(z.string(), z.unknown()),
    'replay-name': z.string().optional(),
  }),
});

const base = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const e = notificationsEnv();
  const items: DeliveryItem[] = [];
  const failures: string[] = [];
  for (const record of event.Records) {
    let parsed: z.ZodSafeParseResult<z.infer<typeof messageSchema>>;
    try {
      parsed = messageSchema.safeParse(JSON.parse(record.body));
    } catch {
      parsed = messageSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      // Not something a rule wrote: after the queue's maxReceiveCount it lands in the Deliveries DLQ.
      logger.error('not a delivery message', { messageId: record.messageId });
      failures.push(record.messageId);
      continue;
    }
    items.push({
      messageId: record.messageId,
      receiptHandle: record.receiptHandle,
      attempt: Number(record.attributes?.ApproximateReceiveCount ?? 1),
      body: record.body,
      ...parsed.data,
    });
  }
  const retry = await deliverBatch(items, {
    settings: deliverySettings(),
    deliveryQueueUrl: e.deliveryQueueUrl,
    allowLoopback: e.allowLoopbackTargets,
    remainingMs: () => context.getRemainingTimeInMillis(),
    log: (message, fields) => logger.info(message, fields),
  });
  metrics.addMetric('Deliveries', 'Count', items.length);
  metrics.addMetric('DeliveryRetries', 'Count', retry.length);
  return { batchItemFailures: [...failures, ...retry].map((itemIdentifier) => ({ itemIdentifier })) };
};

export const handler = middy(base)
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics))
  .use(injectLambdaContext(logger, { resetKeys: true }));
