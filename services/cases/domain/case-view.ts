/**
 * What a screen shows of a case. The full ID number and the name only for roles that work cases
 * (`idVisibility` full); everyone else sees the masked ID. Chinese names of codes ride along so a
 * client shows them without its own tables.
 */

import type { WorkingCalendar } from '../../../shared/calendar';
import { CASE_STATE_NAMES_ZH, CAUSE_CATEGORY_NAMES_ZH } from '../../../shared/events/vocab';
import type { CaseRules } from '../../../shared/region-settings';
import { CASE_DOCUMENT_NAMES_ZH, type CaseRecord, isOpen } from './case';
import { dutiesOf, isOverdue } from './deadlines';
import { threeLineReports } from './three-line-report';

export interface ViewOptions {
  full: boolean;
  rules: CaseRules;
  today: string;
  calendar?: WorkingCalendar;
}

/**
 * Where a case belongs, for `canAccess`: its region, and its township and school when they are codes
 * the scope rules know. Every route that shows a case, or anything of it, scopes by this.
 */
export function caseScope(record: CaseRecord) {
  return {
    region: record.region,
    township: record.township?.startsWith(record.region) ? record.township : undefined,
    school: record.school && /^\d{10}$/.test(record.school) ? record.school : undefined,
  };
}

/** The case's generated documents, each with the route that gives a download link (not the storage key). */
export function viewDocuments(record: CaseRecord) {
  return (record.documents ?? []).map((d) => ({
    documentId: d.documentId,
    kind: d.kind,
    titleZh: CASE_DOCUMENT_NAMES_ZH[d.kind],
    forVersion: d.forVersion,
    sizeBytes: d.sizeBytes,
    sha256: d.sha256,
    attachedAt: d.attachedAt,
    href: `/cases/${record.caseId}/documents/${d.documentId}`,
  }));
}

export function viewCaseSummary(record: CaseRecord, { full, rules, today, calendar }: ViewOptions) {
  return {
    caseId: record.caseId,
    version: record.version,
    state: record.state,
    stateZh: CASE_STATE_NAMES_ZH[record.state],
    open: isOpen(record.state),
    maskedId: record.child.maskedId,
    childKey: record.child.childKey,
    idNumber: full ? record.idNumber : undefined,
    name: full ? record.name : undefined,
    school: record.school,
    schoolName: record.schoolName,
    township: record.township,
    openedOn: record.openedOn,
    source: record.source,
    priority: record.priority,
    causeCategory: record.causeCategory,
    causeZh: record.causeCategory ? CAUSE_CATEGORY_NAMES_ZH[record.causeCategory] : undefined,
    overdue: isOpen(record.state) ? isOverdue(record, rules, today, calendar) : false,
    closedAs: record.closedAs,
    closedOn: record.closedOn,
  };
}

export function viewCase(record: CaseRecord, options: ViewOptions) {
  const { full, rules, today, calendar } = options;
  const { idNumber: _id, name: _name, child: _child, ...rest } = record;
  return {
    ...rest,
    ...viewCaseSummary(record, options),
    chain: full
      ? record.chain
      : Object.fromEntries(Object.entries(record.chain).map(([k, p]) => [k, { title: p?.title }])),
    duties: isOpen(record.state) ? dutiesOf(record, rules, calendar) : [],
    threeLineReports: threeLineReports(record, { full }),
    documents: viewDocuments(record),
    today,
  };
}
