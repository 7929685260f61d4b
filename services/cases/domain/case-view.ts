/**
 * What a screen shows of a case. The full ID number and the name only for roles that work cases
 * (`idVisibility` full); everyone else sees the masked ID. Chinese names of codes ride along so a
 * client shows them without its own tables.
 */

import type { WorkingCalendar } from '../../../shared/calendar';
import { CASE_STATE_NAMES_ZH, CAUSE_CATEGORY_NAMES_ZH } from '../../../shared/events/vocab';
import type { CaseRules } from '../../../shared/region-settings';
import { type CaseRecord, isOpen } from './case';
import { dutiesOf, isOverdue } from './deadlines';
import { threeLineReports } from './three-line-report';

export interface ViewOptions {
  full: boolean;
  rules: CaseRules;
  today: string;
  calendar?: WorkingCalendar;
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
    today,
  };
}
