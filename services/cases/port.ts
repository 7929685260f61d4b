/**
 * cases' door: what the other services may read of the cases it owns.
 * - The subsidy run holds the money of a child with an open case, and the notifications service reminds
 *   the people of open cases of what is due: both read the region's open cases.
 * - Notifications tells the people of a case about its events: it reads the case record, its chain of
 *   responsible people and the duties the case's deadlines give them (dutiesOf), as cases computes them.
 * - A consumer's tests build a case's events as cases builds them (caseOpenedEvent, sweepCase), so they
 *   test against what cases publishes rather than a copy of it.
 * Cases are changed only through cases' own API and events.
 */
export { getCaseRecord, openCasePages } from './adapters/cases-repo';
export { type CaseRecord, caseRecordSchema, type ReportLine } from './domain/case';
export { caseOpenedEvent } from './domain/case-events';
export {
  type Duty,
  dutiesOf,
  ESCALATION_TARGET_NAMES_ZH,
  type EscalationRole,
  type EscalationTarget,
} from './domain/deadlines';
export { sweepCase } from './domain/sweep';
