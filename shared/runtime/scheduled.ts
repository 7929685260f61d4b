import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Observability } from './observability';

/** What EventBridge sends a scheduled rule's target (the fields the house reads). */
export interface ScheduledEvent {
  'detail-type'?: string;
  source?: string;
  /** When the schedule fired (ISO 8601). */
  time?: string;
}

export interface ScheduledRun {
  /**
   * The schedule's tick (the event's `time`), so a late or replayed run acts as of when it was due; the
   * clock's time when the function is invoked without one.
   */
  at: Date;
  event: ScheduledEvent;
  context: Context;
}

export interface ScheduledOptions<R> {
  observability: Observability;
  handle: (run: ScheduledRun) => Promise<R>;
}

/**
 * The house stack for a function on a schedule (a daily rule, a digest every 30 minutes): the same
 * Powertools logger, metrics and tracer middleware as the HTTP and SQS handlers, so its log lines carry
 * the invocation's context and its metrics are flushed when it returns or throws. A failure is thrown on:
 * the invocation fails, the rule's retry policy and alarms take it from there.
 */
export function scheduledHandler<R>(options: ScheduledOptions<R>) {
  const { logger, metrics, tracer } = options.observability;
  const base = async (event: ScheduledEvent | undefined, context: Context): Promise<R> =>
    options.handle({ at: event?.time ? new Date(event.time) : new Date(), event: event ?? {}, context });
  return middy(base)
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger, { resetKeys: true }));
}
