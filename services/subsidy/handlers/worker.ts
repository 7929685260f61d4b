import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { publishEvents } from '../../../shared/aws/publish';
import { rosterAcceptedMessageSchema, rosterTrigger } from '../../../shared/events/roster-trigger';
import { regionSettingsFromEnv } from '../../../shared/region-settings';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { openCasePages } from '../../cases/port';
import { comparisonResultPages, latestComparison } from '../../comparison/port';
import { listCurrentRosters, rowPages } from '../../roster-intake/port';
import { storePaymentList } from '../adapters/payment-lists';
import { policyCatalogue } from '../adapters/policies-repo';
import {
  clearOutbox,
  completeRun,
  failRun,
  getRun,
  latestCompletedRun,
  markPublishing,
  outboxPages,
  queueRun,
  readBindings,
  startRun,
  writeBindings,
  writeDecisions,
  writeOutbox,
  writeSchoolTotals,
} from '../adapters/subsidy-runs-repo';
import { runSubsidies, type SubsidyPorts } from '../use-cases/run-subsidies';

const observability = createObservability('subsidy');
const { logger, metrics } = observability;

/** A run is asked for by a roster.accepted event (delivered by a bus rule) or by POST /subsidies/runs. */
const messageSchema = z.union([
  rosterAcceptedMessageSchema,
  z.object({ type: z.literal('run'), runId: z.string().regex(/^sub-[0-9a-f]{24}$/) }),
]);

const ports = (region = env('KCBX_REGION_CODE')): SubsidyPorts => ({
  region,
  policyCatalogue: () => policyCatalogue(region, regionSettingsFromEnv().subsidyPolicy),
  getRun,
  queueRun,
  startRun,
  markPublishing,
  completeRun,
  failRun,
  latestCompletedRun,
  writeDecisions,
  writeSchoolTotals,
  writeBindings,
  readBindings,
  writeOutbox,
  outboxPages,
  clearOutbox,
  storePaymentList,
  currentRosters: listCurrentRosters,
  rowPages,
  latestComparison,
  comparisonResultPages,
  openCasePages,
  publish: publishEvents,
  now: () => new Date(),
});

/** A semester's subsidies for the region (use-cases/run-subsidies.ts). Runs are serialised (reserved concurrency 1). */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const result = await runSubsidies(
      'type' in message ? { type: 'request', runId: message.runId } : rosterTrigger(message),
      ports(),
    );
    if (result.outcome === 'not-subsidised') return;
    logger.appendKeys({ runId: result.runId });
    if (result.outcome === 'already-finished')
      logger.info('subsidy run already finished; nothing to do', { status: result.status });
    if (result.outcome === 'refused') logger.warn('subsidy run refused', { code: result.code });
    if (result.outcome !== 'completed') return;
    const { chosen, decisions, ...determined } = result.determined ?? {};
    if (chosen) logger.info('subsidy policy chosen', chosen);
    if (decisions !== undefined) {
      metrics.addMetric('SubsidyDecisions', 'Count', decisions);
      logger.info('subsidy run determined', { ...determined, decisions });
    }
    metrics.addMetric('SubsidyEvents', 'Count', result.events);
    logger.info('subsidy run completed', { events: result.events });
  },
});
