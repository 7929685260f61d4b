import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LocalEventSourceMapping, LocalQueue } from './template';

export interface PollerOptions {
  mapping: LocalEventSourceMapping;
  queue: LocalQueue;
  sqs: SQSClient;
  region: string;
  invoke: (functionArn: string, event: unknown) => Promise<unknown>;
  log: (line: string) => void;
  /** Long-poll wait per ReceiveMessage call. */
  waitSeconds?: number;
}

/**
 * Lambda's SQS event source mapping: long-polls the queue, invokes the function with a batch of
 * up to BatchSize records, deletes what succeeded (all, or all but the reported
 * batchItemFailures when ReportBatchItemFailures is on) and leaves failures to reappear after
 * the visibility timeout, so the queue's RedrivePolicy moves them to the DLQ after
 * maxReceiveCount.
 */
export function startSqsPoller(options: PollerOptions) {
  const { mapping, queue, sqs } = options;
  let running = true;
  let inFlight = 0;
  const abort = new AbortController();

  const toRecord = (
    m: NonNullable<Awaited<ReturnType<SQSClient['send']>> & { Messages?: unknown[] }>['Messages'],
  ) => m;
  void toRecord;

  const loop = async () => {
    while (running) {
      let messages: Message[];
      try {
        const res = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(10, mapping.batchSize),
            WaitTimeSeconds: options.waitSeconds ?? 1,
            MessageSystemAttributeNames: ['All'],
            // The emulator answers only the older name; without it records lack ApproximateReceiveCount.
            AttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = res.Messages ?? [];
      } catch (err) {
        if (!running) return;
        options.log(`poll ${queue.name} failed: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      if (messages.length === 0) continue;
      inFlight++;
      try {
        const event = {
          Records: messages.map((m) => ({
            messageId: m.MessageId,
            receiptHandle: m.ReceiptHandle,
            body: m.Body,
            attributes: m.Attributes ?? {},
            messageAttributes: Object.fromEntries(
              Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [
                k,
                {
                  stringValue: v.StringValue,
                  binaryValue: v.BinaryValue,
                  dataType: v.DataType,
                  stringListValues: [],
                  binaryListValues: [],
                },
              ]),
            ),
            md5OfBody: m.MD5OfBody,
            eventSource: 'aws:sqs',
            eventSourceARN: queue.arn,
            awsRegion: options.region,
          })),
        };
        let failed = new Set<string>();
        try {
          const result = (await options.invoke(mapping.functionArn, event)) as {
            batchItemFailures?: { itemIdentifier: string }[];
          } | null;
          if (mapping.reportBatchItemFailures && result?.batchItemFailures) {
            failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
          }
        } catch (err) {
          // The whole batch failed: every message comes back after the visibility timeout.
          failed = new Set(messages.map((m) => m.MessageId!));
          options.log(`${queue.name}: batch of ${messages.length} failed: ${(err as Error).message}`);
        }
        const done = messages.filter((m) => !failed.has(m.MessageId!));
        if (done.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: queue.url,
              Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
            }),
          );
        }
      } catch (err) {
        options.log(`${queue.name}: ${(err as Error).message}`);
      } finally {
        inFlight--;
      }
    }
  };
  const done = loop();

  return {
    /** True while a batch is being processed. */
    busy: () => inFlight > 0,
    async stop() {
      running = false;
      abort.abort();
      await done;
    },
  };
}
