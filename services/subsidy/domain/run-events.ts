/**
 * 资助测算事件 — what a subsidy run of the service announces on the bus, and the ids that make a repeat
 * recognisable. Events carry the child's pseudonym and masked ID only (docs/domain.md §7.1): never the ID number,
 * the name or the school list.
 */
import { createHash } from 'node:crypto';
import type { Publishable } from '../../../shared/aws/publish';
import { deriveEventId } from '../../../shared/events/envelope';
import type { RosterKind } from '../../../shared/roster-kind';
import { determinedTotals, type SubsidyDecision, type SubsidyRunResult } from './determine';

/** The rosters a run reads; an accepted roster of these kinds also starts a run. */
export const SUBSIDY_ROSTER_KINDS: ReadonlySet<RosterKind> = new Set([
  'enrollment',
  'poverty',
  'assistance',
  'disability',
]);

/** A run id that is the same for the same trigger, so a redelivered trigger names the same run. */
export function subsidyRunId(trigger: string): string {
  return `sub-${createHash('sha256').update(trigger).digest('hex').slice(0, 24)}`;
}

/** subsidy.held for one ON_HOLD decision; its id is the run, the child and the benefit. */
export function heldEvent(
  d: Pick<SubsidyDecision, 'childKey' | 'maskedId' | 'benefit' | 'reason'>,
  runId: string,
  region: string,
  at: string,
): Publishable<'subsidy.held'> {
  return {
    detailType: 'subsidy.held',
    detail: {
      schemaVersion: 1,
      eventId: deriveEventId('subsidy.held', runId, d.childKey, d.benefit),
      occurredAt: at,
      region,
      runId,
      child: { childKey: d.childKey, maskedId: d.maskedId },
      benefit: d.benefit,
      reason: d.reason.code,
    },
  };
}

/** subsidy.determined: the run's totals per benefit (children paid, amount in 分). */
export function determinedEvent(
  result: Pick<SubsidyRunResult, 'totals' | 'policyVersion' | 'semester'>,
  runId: string,
  region: string,
  at: string,
): Publishable<'subsidy.determined'> {
  return {
    detailType: 'subsidy.determined',
    detail: {
      schemaVersion: 1,
      eventId: deriveEventId('subsidy.determined', runId),
      occurredAt: at,
      region,
      runId,
      semester: result.semester.code,
      policyVersion: result.policyVersion,
      totals: determinedTotals(result),
    },
  };
}

/**
 * Every event of a run, in the order they go out: one subsidy.held per held child and benefit, then
 * subsidy.determined — a consumer that sees the totals has already been sent the holds behind them.
 */
export function runEvents(
  result: SubsidyRunResult,
  runId: string,
  region: string,
  at: string,
): Publishable[] {
  const events: Publishable[] = [];
  for (const d of result.decisions) if (d.status === 'ON_HOLD') events.push(heldEvent(d, runId, region, at));
  events.push(determinedEvent(result, runId, region, at));
  return events;
}
