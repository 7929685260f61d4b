import { createHash } from 'node:crypto';
import type { Publishable } from '../../../shared/aws/publish';
import { deriveEventId } from '../../../shared/events/envelope';
import type { RosterKind } from '../../../shared/roster-kind';
import type { IntakeRow } from '../../../shared/rosters/rows';
import type { SuspectState } from './changes';
import {
  type ChildResult,
  type ComparisonOutcome,
  type ComparisonSettings,
  createComparison,
} from './classify';

/** Roster kinds a comparison reads (attendance belongs to the cases service's daily rule). */
export const COMPARED_KINDS: ReadonlySet<RosterKind> = new Set([
  'household',
  'enrollment',
  'headcount',
  'poverty',
  'assistance',
  'disability',
  'deferral',
]);

/** A run id that is the same for the same trigger, so a redelivered trigger redoes the same run. */
export function comparisonId(trigger: string): string {
  return `cmp-${createHash('sha256').update(trigger).digest('hex').slice(0, 24)}`;
}

/** Feeds the current rosters, page by page, through the engine. */
export async function compareRosters(
  settings: ComparisonSettings,
  rosters: readonly { uploadId: string; kind: RosterKind }[],
  pages: (uploadId: string) => AsyncIterable<IntakeRow[]>,
): Promise<ComparisonOutcome> {
  const comparison = createComparison(settings);
  for (const roster of rosters) {
    if (!COMPARED_KINDS.has(roster.kind)) continue;
    for await (const page of pages(roster.uploadId)) for (const row of page) comparison.add(row);
  }
  return comparison.finish();
}

const SCHOOL = /^\d{10}$/;

/** The dropout.suspected event of a child (its id is stable for the same child, outcome and run). */
export function suspectedEvent(
  result: ChildResult,
  runId: string,
  region: string,
  asOf: string,
  at: string,
): Publishable {
  return {
    detailType: 'dropout.suspected',
    detail: {
      schemaVersion: 1,
      eventId: deriveEventId('dropout.suspected', result.childKey, result.outcome, runId),
      occurredAt: at,
      region,
      child: { childKey: result.childKey, maskedId: result.maskedId },
      school: result.school && SCHOOL.test(result.school) ? result.school : undefined,
      township: result.township?.startsWith(region) ? result.township : undefined,
      priority: result.flags.includes('priority') || result.flags.includes('disability'),
      asOf,
      source: 'COMPARISON',
      outcome: result.outcome,
      evidence: result.evidence.slice(0, 50).map((e) => ({ uploadId: e.uploadId, line: e.line })),
    },
  };
}

export function resolvedEvent(
  result: ChildResult,
  previous: SuspectState,
  runId: string,
  region: string,
  at: string,
): Publishable {
  return {
    detailType: 'dropout.resolved',
    detail: {
      schemaVersion: 1,
      eventId: deriveEventId('dropout.resolved', result.childKey, previous.outcome, result.outcome, runId),
      occurredAt: at,
      region,
      child: { childKey: result.childKey, maskedId: result.maskedId },
      comparisonId: runId,
      previousOutcome: previous.outcome,
      outcome: result.outcome,
    },
  };
}

export function completedEvent(
  runId: string,
  region: string,
  asOf: string,
  counts: ComparisonOutcome['counts'],
  at: string,
): Publishable {
  const { presenceUnchecked: _unchecked, ...byOutcome } = counts;
  return {
    detailType: 'comparison.completed',
    detail: {
      schemaVersion: 1,
      eventId: deriveEventId('comparison.completed', runId),
      occurredAt: at,
      region,
      comparisonId: runId,
      asOf,
      counts: byOutcome,
    },
  };
}
