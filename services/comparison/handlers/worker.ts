import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { publishEvents } from '../../../shared/aws/publish';
import { putReport } from '../../../shared/aws/reports';
import { rosterAcceptedMessageSchema, rosterTrigger } from '../../../shared/events/roster-trigger';
import { regionSettingsFromEnv } from '../../../shared/region-settings';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { listCurrentRosters, rowPages } from '../../roster-intake/port';
import {
  completeRun,
  createRun,
  getRun,
  loadSuspects,
  markSent,
  recordChange,
  writeResults,
} from '../adapters/comparisons-repo';
import { type ComparisonPorts, runComparison } from '../use-cases/run-comparison';

const observability = createObservability('comparison');
const { logger, metrics } = observability;

/** A run is asked for by a roster.accepted event (delivered by a bus rule) or by POST /comparisons. */
const messageSchema = z.union([
  rosterAcceptedMessageSchema,
  z.object({
    type: z.literal('run'),
    runId: z.string(),
    period: z.string(),
    asOf: z.string(),
    requestedBy: z.string(),
  }),
]);

const ports = (): ComparisonPorts => ({
  region: env('KCBX_REGION_CODE'),
  settings: regionSettingsFromEnv(),
  currentRosters: listCurrentRosters,
  rowPages,
  getRun,
  createRun,
  writeResults,
  completeRun,
  loadSuspects,
  recordChange,
  markSent,
  putReport,
  publish: publishEvents,
  now: () => new Date(),
});

/** The region's comparison of a term (use-cases/run-comparison.ts). Runs are serialised (reserved concurrency 1). */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const result = await runComparison(
      'type' in message ? { ...message, type: 'request' } : rosterTrigger(message),
      ports(),
    );
    if (result.outcome === 'already-completed')
      logger.info('comparison already completed; nothing to do', { runId: result.runId });
    if (result.outcome !== 'completed') return;
    metrics.addMetric('ChildrenCompared', 'Count', result.children);
    metrics.addMetric('DropoutSignals', 'Count', result.events);
    logger.info('comparison completed', {
      runId: result.runId,
      period: result.period,
      counts: result.counts,
      events: result.events,
    });
  },
});
