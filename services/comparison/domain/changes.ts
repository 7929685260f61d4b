import type { OutcomeCode } from '../../../shared/events/vocab';

/** Outcomes that make a child a suspected dropout, for the cases service (学籍在人不在, 失学). */
export const SUSPECT_OUTCOMES: ReadonlySet<OutcomeCode> = new Set(['ENROLLED_ABSENT', 'NOT_ENROLLED']);

/** What the service remembers of a child it has reported as suspected (one item per child). */
export interface SuspectState {
  childKey: string;
  outcome: OutcomeCode;
  /** The comparison that first reported this outcome. */
  since: string;
}

export interface OutcomeChange<R> {
  kind: 'suspected' | 'resolved';
  result: R;
  previous?: SuspectState;
}

/**
 * Compares a run's results with what was already reported. A child newly suspected, or suspected
 * for a different reason, is reported; one no longer suspected is resolved; a child whose outcome
 * did not change produces nothing — so recomputing unchanged inputs publishes nothing new. A
 * child missing from the results (left the rosters or the age window) stays as it was.
 */
export function diffOutcomes<R extends { childKey: string; outcome: OutcomeCode }>(
  previous: ReadonlyMap<string, SuspectState>,
  results: Iterable<R>,
  reportable: ReadonlySet<OutcomeCode> = SUSPECT_OUTCOMES,
): OutcomeChange<R>[] {
  const changes: OutcomeChange<R>[] = [];
  for (const result of results) {
    const before = previous.get(result.childKey);
    if (reportable.has(result.outcome) && before?.outcome !== result.outcome) {
      changes.push({ kind: 'suspected', result, previous: before });
    } else if (before && !SUSPECT_OUTCOMES.has(result.outcome)) {
      changes.push({ kind: 'resolved', result, previous: before });
    }
  }
  return changes;
}

/**
 * Which outcomes a run may report. Without any 学籍 roster in the inputs every registered child
 * would look NOT_ENROLLED (a county typically uploads 户籍 before the schools' exports arrive), so
 * only ENROLLED_ABSENT is reported until enrollment data exist.
 */
export function reportableOutcomes(inputKinds: Iterable<string>): ReadonlySet<OutcomeCode> {
  return new Set(inputKinds).has('enrollment') ? SUSPECT_OUTCOMES : new Set<OutcomeCode>(['ENROLLED_ABSENT']);
}
