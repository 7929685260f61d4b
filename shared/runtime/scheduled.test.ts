import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createObservability } from './observability';
import { scheduledHandler } from './scheduled';

const context = {
  awsRequestId: 'req-1',
  functionName: 'test',
  getRemainingTimeInMillis: () => 1000,
} as Context;
const tick = { 'detail-type': 'Scheduled Event', source: 'aws.events', time: '2026-03-10T23:00:00Z' };

let output: string[];
beforeEach(() => {
  output = [];
  for (const stream of [process.stdout, process.stderr])
    vi.spyOn(stream, 'write').mockImplementation((chunk) => {
      output.push(String(chunk));
      return true;
    });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The metric names of the EMF documents written so far. */
const flushedMetrics = () =>
  output
    .flatMap((line) => line.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) =>
      (
        JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } }
      )._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((x) => x.Name)),
    );

describe('the scheduled handler stack', () => {
  it('runs as of the schedule’s tick and flushes the metrics the run added', async () => {
    const observability = createObservability('test');
    const handler = scheduledHandler({
      observability,
      handle: async ({ at }) => {
        observability.metrics.addMetric('RemindersSent', 'Count', 2);
        return { at: at.toISOString() };
      },
    });
    expect(await handler(tick, context)).toEqual({ at: '2026-03-10T23:00:00.000Z' });
    expect(flushedMetrics()).toContain('RemindersSent');
  });

  it('still flushes them when the run fails, and fails the invocation', async () => {
    const observability = createObservability('test');
    const handler = scheduledHandler({
      observability,
      handle: async () => {
        observability.metrics.addMetric('DigestsSent', 'Count', 1);
        throw new Error('2 digest(s) could not be sent');
      },
    });
    await expect(handler(tick, context)).rejects.toThrow('could not be sent');
    expect(flushedMetrics()).toContain('DigestsSent');
  });

  it('runs as of the clock when invoked without a tick', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-11T01:30:00Z'));
    const handler = scheduledHandler({
      observability: createObservability('test'),
      handle: async ({ at }) => at,
    });
    expect(await handler(undefined, context)).toEqual(new Date('2026-03-11T01:30:00Z'));
  });
});
