import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { createObservability } from './observability';
import { sqsBatchHandler } from './sqs';

const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  getRemainingTimeInMillis: () => 1000,
} as Context;
const record = (messageId: string, body: string): SQSRecord =>
  ({ messageId, body, attributes: { ApproximateReceiveCount: '1' } }) as unknown as SQSRecord;

beforeEach(() => {
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

describe('the SQS batch handler stack', () => {
  it('reports only the failed and malformed records so SQS retries them alone', async () => {
    const seen: number[] = [];
    const handler = sqsBatchHandler({
      observability: createObservability('test'),
      body: z.object({ n: z.number() }),
      handleRecord: async ({ n }) => {
        if (n === 2) throw new Error('transient');
        seen.push(n);
      },
    });
    const batch: SQSEvent = {
      Records: [
        record('a', '{"n":1}'),
        record('b', '{"n":2}'),
        record('c', 'not json'),
        record('d', '{"n":"x"}'),
        record('e', '{"n":5}'),
      ],
    };
    const res = await handler(batch, context);
    expect(res.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['b', 'c', 'd']);
    expect(seen).toEqual([1, 5]);
  });
});
