import { z } from 'zod';
import { env } from '../../../shared/aws/clients';
import { publishEvents } from '../../../shared/aws/publish';
import { putReport } from '../../../shared/aws/reports';
import { todayInChina } from '../../../shared/dates';
import { parseRegionSettings } from '../../../shared/region-settings';
import { createObservability } from '../../../shared/runtime/observability';
import { sqsBatchHandler } from '../../../shared/runtime/sqs';
import { xlsxBuffer } from '../../../shared/spreadsheet-export';
import { termOfRoster } from '../../../shared/term';
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
import { diffOutcomes, reportableOutcomes } from '../domain/changes';
import { writeResultsXlsx } from '../domain/export';
import {
  COMPARED_KINDS,
  compareRosters,
  comparisonId,
  completedEvent,
  resolvedEvent,
  suspectedEvent,
} from '../domain/run';
import { countByTownship } from '../domain/township-counts';

const observability = createObservability('comparison');
const { logger, metrics } = observability;

/** A run is asked for by a roster.accepted event (delivered by a bus rule) or by POST /comparisons. */
const messageSchema = z.union([
  z.object({
    'detail-type': z.literal('roster.accepted'),
    id: z.string(),
    detail: z.object({ uploadId: z.string(), kind: z.string(), period: z.string(), occurredAt: z.string() }),
  }),
  z.object({
    type: z.literal('run'),
    runId: z.string(),
    period: z.string(),
    asOf: z.string(),
    requestedBy: z.string(),
  }),
]);

/**
 * Recomputes the region's comparison for a period from the current rosters, stores every child's
 * result, exports the workbook, and publishes dropout.suspected / dropout.resolved for what
 * changed since the last run (through an outbox, so a crash never loses or repeats one) and
 * comparison.completed. Runs are serialised (reserved concurrency 1).
 */
export const handler = sqsBatchHandler({
  observability,
  body: messageSchema,
  handleRecord: async (message) => {
    const region = env('KCBX_REGION_CODE');
    const settings = parseRegionSettings(JSON.parse(process.env.KCBX_REGION_SETTINGS ?? '{}'));
    let run: {
      id: string;
      period: string;
      asOf: string;
      trigger: { kind: 'roster' | 'request'; by: string };
    };
    if ('type' in message) {
      run = {
        id: message.runId,
        period: message.period,
        asOf: message.asOf,
        trigger: { kind: 'request', by: message.requestedBy },
      };
    } else {
      if (!COMPARED_KINDS.has(message.detail.kind as never)) return;
      const period = termOfRoster(message.detail.period, todayInChina());
      run = {
        id: comparisonId(`roster:${message.id}`),
        period,
        asOf: todayInChina(),
        trigger: { kind: 'roster', by: message.detail.uploadId },
      };
    }

    const existing = await getRun(run.id);
    if (existing?.status === 'completed') {
      logger.info('comparison already completed; nothing to do', { runId: run.id });
      return;
    }
    const rosters = await listCurrentRosters(run.period);
    const now = new Date().toISOString();
    if (!existing) {
      await createRun({ ...run, region, status: 'running', inputs: rosters, createdAt: now });
    }

    const outcome = await compareRosters(
      {
        region,
        asOf: run.asOf,
        minAge: settings.minAge,
        maxAge: settings.maxAge,
        entryCutoff: settings.entryCutoff,
      },
      rosters,
      rowPages,
    );
    await writeResults(run.id, outcome.results);

    const exportKey = `reports/comparisons/${region}/${run.id}/results.xlsx`;
    const workbook = await xlsxBuffer((out) =>
      writeResultsXlsx(outcome.results, outcome.counts, out, {
        region,
        asOf: run.asOf,
        bySchool: outcome.bySchool,
      }),
    );
    await putReport(exportKey, workbook, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');

    // Events a crashed run left unsent go first; then this run's changes.
    const previous = await loadSuspects(region);
    const at = new Date().toISOString();
    const outbox: {
      childKey: string;
      resolved: boolean;
      event: Parameters<typeof publishEvents>[0][number];
    }[] = [];
    for (const state of previous.values()) {
      if (state.pending)
        outbox.push({ childKey: state.childKey, resolved: Boolean(state.resolved), event: state.pending });
    }
    const reportable = reportableOutcomes(rosters.map((r) => r.kind));
    for (const change of diffOutcomes(previous, outcome.results, reportable)) {
      const { result } = change;
      const resolved = change.kind === 'resolved';
      const event = resolved
        ? resolvedEvent(result, change.previous!, run.id, region, at)
        : suspectedEvent(result, run.id, region, run.asOf, at);
      const state = {
        childKey: result.childKey,
        outcome: resolved ? change.previous!.outcome : result.outcome,
        since: run.id,
      };
      await recordChange(region, state, event, resolved);
      outbox.push({ childKey: result.childKey, resolved, event });
    }
    for (let i = 0; i < outbox.length; i += 100) {
      const batch = outbox.slice(i, i + 100);
      await publishEvents(batch.map((o) => o.event));
      for (const o of batch) await markSent(o.childKey, o.resolved);
    }

    await completeRun(run.id, {
      counts: outcome.counts,
      bySchool: outcome.bySchool,
      byTownship: countByTownship(outcome.results),
      exportKey,
      completedAt: at,
    });
    await publishEvents([completedEvent(run.id, region, run.asOf, outcome.counts, at)]);
    metrics.addMetric('ChildrenCompared', 'Count', outcome.results.length);
    metrics.addMetric('DropoutSignals', 'Count', outbox.length);
    logger.info('comparison completed', {
      runId: run.id,
      period: run.period,
      counts: outcome.counts,
      events: outbox.length,
    });
  },
});
