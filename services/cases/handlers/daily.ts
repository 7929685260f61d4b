import { z } from 'zod';
import { addDays } from '../../../shared/dates';
import { localDateSchema } from '../../../shared/events/envelope';
import { type ReportingCadence, reportingLevelSchema } from '../../../shared/region-settings';
import { httpHandler } from '../../../shared/runtime/http';
import { createObservability } from '../../../shared/runtime/observability';
import { scheduledHandler as scheduled } from '../../../shared/runtime/scheduled';
import { requestMissingDocuments } from '../adapters/case-documents';
import { flowContextFromEnv, flush, systemActor } from '../adapters/case-flow';
import { casePages, getCase, StaleCaseError, saveCase } from '../adapters/cases-repo';
import { latestAgeCohort } from '../adapters/reporting-inputs';
import { freezeOnce } from '../adapters/snapshots-repo';
import { type CaseRecord, isOpen } from '../domain/case';
import { buildLedgers, freezeSnapshot, snapshotDue } from '../domain/ledgers';
import { sweepCase } from '../domain/sweep';

const observability = createObservability('cases');
const { logger, metrics } = observability;

/**
 * The daily sweep of the region's cases: sends any outbox a crash left behind, reopens deferrals
 * that ended without return, raises case.overdue for duties that reached a new escalation level, and
 * asks again for the documents an open case still lacks (a request lost after its command was saved,
 * or a rendering that failed into the DLQ and whose cause has been fixed). A case changed by a person
 * meanwhile is read again once; tomorrow's sweep catches the rest.
 */
async function sweep(today: string) {
  const ctx = flowContextFromEnv();
  const actor = systemActor(ctx.region);
  let changed = 0;
  let overdueEvents = 0;
  let documentsRequested = 0;
  let seen = 0;
  const records: CaseRecord[] = [];
  for await (const page of casePages(ctx.region)) {
    for (const listed of page) {
      seen++;
      records.push(listed.record);
      if (isOpen(listed.record.state) && (await requestMissingDocuments(listed.record))) documentsRequested++;
      for (let attempt = 0; attempt < 2; attempt++) {
        const stored = attempt === 0 ? listed : await getCase(listed.record.caseId);
        if (!stored) break;
        await flush(stored);
        const result = sweepCase(stored.record, {
          actor,
          now: ctx.now().toISOString(),
          today,
          rules: ctx.rules,
          calendar: ctx.calendar,
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
  const snapshots = await freezeDueSnapshots(ctx.region, ctx.settings.reporting, records, today, ctx.now());
  metrics.addMetric('CasesSwept', 'Count', seen);
  metrics.addMetric('OverdueRaised', 'Count', overdueEvents);
  metrics.addMetric('DocumentsRequested', 'Count', documentsRequested);
  logger.info('daily sweep done', {
    today,
    cases: seen,
    changed,
    overdueEvents,
    documentsRequested,
    snapshots,
  });
  return { today, cases: seen, changed, overdueEvents, documentsRequested, snapshots };
}

/**
 * 台账快照: on the day after a reporting period ends, freeze the ledgers as of its last day for each
 * level whose cadence ends then — one per school for the school level, one for the region otherwise.
 * A snapshot already frozen is never replaced, so a rerun of the sweep changes nothing.
 */
async function freezeDueSnapshots(
  region: string,
  cadence: ReportingCadence,
  records: readonly CaseRecord[],
  today: string,
  now: Date,
): Promise<number> {
  const periodEnd = addDays(today, -1);
  const levels = reportingLevelSchema.options.filter((level) => snapshotDue(cadence[level], periodEnd));
  if (levels.length === 0) return 0;
  const children = await latestAgeCohort(region);
  const takenAt = now.toISOString();
  let frozen = 0;
  for (const level of levels) {
    const units =
      level === 'school'
        ? [...new Set([...records, ...children].map((r) => r.school).filter((s): s is string => Boolean(s)))]
        : [region];
    for (const org of units) {
      const mine = <T extends { school?: string }>(rows: readonly T[]) =>
        level === 'school' ? rows.filter((r) => r.school === org) : [...rows];
      const ledgers = buildLedgers({ records: mine(records), children: mine(children), asOf: periodEnd });
      if (await freezeOnce(region, freezeSnapshot(ledgers, { level, org, periodEnd, takenAt }))) frozen++;
    }
  }
  return frozen;
}

/** The daily schedule (early morning, China time). */
export const scheduledHandler = scheduled({
  observability,
  handle: async () => sweep(flowContextFromEnv().today()),
});

/** POST /checks/deadlines {asOf?} — runs (or re-runs) the sweep as of a day: county bureau or ops. */
export const runHandler = httpHandler({
  observability,
  roles: ['county', 'ops'],
  wholeRegion: true,
  input: { body: z.strictObject({ asOf: localDateSchema.optional() }).default({}) },
  handle: async ({ body }) => sweep(body.asOf ?? flowContextFromEnv().today()),
});
