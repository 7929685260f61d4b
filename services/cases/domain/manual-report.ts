/**
 * 人工报告 — a school, township or county bureau reports a child it knows about (`POST /cases`).
 *
 * One child has one open case (一生一案), and that case may belong to an organisation the reporter may
 * not see (another school, another township). Such a report must neither steer that case nor tell the
 * reporter that it exists: whether a child of the county has an open case, and where, is not a school's
 * business. So:
 * - no open case: the report opens one, in the reporter's scope;
 * - an open case the reporter may see (`canAccess` on the case's scope): the report joins it as a
 *   signal, with everything a signal does (a child reported again during 巩固 follow-up is CONFIRMED
 *   again, docs/domain.md §4.6);
 * - an open case the reporter may not see: the report becomes a note in its history for the people
 *   working it (NOTE_OUTSIDE_REPORT), and nothing else of the case changes.
 * The answer is the same receipt in all three ({@link reportReceipt}), built from the report alone; the
 * reporter follows its report through the cases it may see (`GET /cases?report=`).
 */
import { createHash } from 'node:crypto';
import { canAccess } from '../../../shared/authz';
import type { CauseCategory } from '../../../shared/events/vocab';
import type { Caller } from '../../../shared/org';
import type { CaseActionOf } from './actions';
import type { CaseRecord, CaseSignal } from './case';
import { caseScope } from './case-view';

/** One person's report of one child, as received. */
export interface ManualReport {
  /** Derived from the report ({@link manualReport}): a retried request has the same id. */
  reportId: string;
  reporter: Caller;
  /** The day the report was received (China date). */
  receivedOn: string;
  note: string;
  causeCategory?: CauseCategory;
  priority: boolean;
}

export interface ManualReportInput {
  reporter: Caller;
  /** The child's pseudonym (never the ID number). */
  childKey: string;
  receivedOn: string;
  note: string;
  /** The school and township the reporter named in the report, if any. */
  school?: string;
  township?: string;
  causeCategory?: CauseCategory;
  priority: boolean;
}

/** Keeps the ids of reports apart from any other digest of the same fields. */
const REPORT_ID_DOMAIN = 'kcbx:manual-report:v1';

/**
 * The report with its id: a digest of who reported (role and organisation), which child (by pseudonym),
 * on which day and everything they said. The same request sent again the same day — a client's retry,
 * a double click — is the same report and is recorded once; a different note, cause, priority or day,
 * or another organisation, is another report. Neither the ID number nor the name enters the digest.
 */
export function manualReport(input: ManualReportInput): ManualReport {
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        REPORT_ID_DOMAIN,
        input.reporter.role,
        input.reporter.org,
        input.childKey,
        input.receivedOn,
        input.school ?? null,
        input.township ?? null,
        input.causeCategory ?? null,
        input.priority,
        input.note,
      ]),
      'utf8',
    )
    .digest('hex');
  return {
    reportId: `report-${digest.slice(0, 32)}`,
    reporter: input.reporter,
    receivedOn: input.receivedOn,
    note: input.note,
    ...(input.causeCategory !== undefined && { causeCategory: input.causeCategory }),
    priority: input.priority,
  };
}

/** The report as a case's signal (when it opens a case or joins one the reporter may see). */
export function reportSignal(report: ManualReport): CaseSignal {
  return {
    source: 'MANUAL',
    receivedOn: report.receivedOn,
    signalId: report.reportId,
    evidence: [],
    note: report.note,
  };
}

/**
 * What the report does to the child's open case: joins it as a signal when the reporter may see the
 * case, else is noted in its history for the people working it.
 */
export function reportOnOpenCase(
  record: CaseRecord,
  report: ManualReport,
): CaseActionOf<'ADD_SIGNAL'> | CaseActionOf<'NOTE_OUTSIDE_REPORT'> {
  const reportedBy = { role: report.reporter.role, org: report.reporter.org };
  if (canAccess(report.reporter, caseScope(record)).allowed) {
    return { type: 'ADD_SIGNAL', signal: reportSignal(report), reportedBy };
  }
  return {
    type: 'NOTE_OUTSIDE_REPORT',
    reportId: report.reportId,
    reportedBy,
    receivedOn: report.receivedOn,
    note: report.note,
    ...(report.causeCategory !== undefined && { causeCategory: report.causeCategory }),
    priority: report.priority,
  };
}

/** 回执 — the answer to every report (202): the same status and fields whatever case it reached. */
export interface ReportReceipt {
  outcome: 'received';
  reportId: string;
  /** Where the reporter finds the cases it may see that hold the report. */
  href: string;
}

/** The receipt of a report: made from the report alone, so it cannot tell which case it reached. */
export function reportReceipt(report: Pick<ManualReport, 'reportId'>): ReportReceipt {
  return { outcome: 'received', reportId: report.reportId, href: `/cases?report=${report.reportId}` };
}
