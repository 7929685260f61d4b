import { z } from 'zod';
import { localDateSchema } from '../../../shared/events/envelope';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { flowContextFromEnv, flush, systemActor } from '../adapters/case-flow';
import { casePages, getCase, StaleCaseError, saveCase } from '../adapters/cases-repo';
import { sweepCase } from '../domain/sweep';

const observability = createObservability('cases');
const { logger, metrics } = observability;

/**
 * The daily sweep of the region's cases: sends any outbox a crash left behind, reopens deferrals
 * that ended without return, and raises case.overdue for duties that reached a new escalation
 * level. A case changed by a person meanwhile is read again once; tomorrow's sweep catches the rest.
 */
async function sweep(today: string) {
  const ctx = flowContextFromEnv();
  const actor = systemActor(ctx.region);
  let changed = 0;
  let overdueEvents = 0;
  let seen = 0;
  for await (const page of casePages(ctx.region)) {
    for (const listed of page) {
      seen++;
      for (let attempt = 0; attempt < 2; attempt++) {
        const stored = attempt === 0 ? listed : await getCase(listed.record.caseId);
        if (!stored) break;
        await flush(stored);
        const result = sweepCase(stored.record, {
          actor,
          now: ctx.now().toISOString(),
          today,
          rules: ctx.rules,
        });
        if (!result) break;
        try {
          await saveCase(result.record, stored.record.version, result.events);
        } catch (err) {
          if (err instanceof StaleCaseError) continue;
          throw err;
        }
        await flush({ record: result.record, pending: result.events });
        changed++;
        overdueEvents += result.events.filter((e) => e.detailType === 'case.overdue').length;
        break;
      }
    }
  }
  metrics.addMetric('CasesSwept', 'Count', seen);
  metrics.addMetric('OverdueRaised', 'Count', overdueEvents);
  logger.info('daily sweep done', { today, cases: seen, changed, overdueEvents });
  return { today, cases: seen, changed, overdueEvents };
}

/** The daily schedule (early morning, China time). */
export const scheduledHandler = async () => sweep(flowContextFromEnv().today());

/** POST /checks/deadlines {asOf?} — runs (or re-runs) the sweep as of a day: county bureau or ops. */
export const runHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  input: { body: z.strictObject({ asOf: localDateSchema.optional() }).default({}) },
  handle: async ({ body }) => sweep(body.asOf ?? flowContextFromEnv().today()),
});
