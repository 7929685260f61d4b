/**
 * 本学期发放依据 — which school pays a child's benefit this semester, carried from run to run.
 *
 * The engine's transfer rule reads the semester's earlier decisions (`previous`): an ELIGIBLE decision at
 * another school binds, and the receiving school does not pay again. The service keeps, for each run, one
 * binding per child and benefit:
 * - the run's own ELIGIBLE decision when it made one (a bound decision is ELIGIBLE with the earlier payer);
 * - none after an INELIGIBLE decision: the engine decides afresh only where no other school binds, so the
 *   school that would have paid has re-decided and its list no longer pays the child;
 * - otherwise (held, or the child missing from this run's rosters) the binding it was given: held money
 *   waits, it is not released to the next school.
 * So the next run needs only the previous run's bindings, never the whole history of the semester.
 */
import type { PreviousDecision, SubsidyDecision } from './determine';

export type Binding = Pick<
  PreviousDecision,
  'childKey' | 'benefit' | 'amountFen' | 'payerSchool' | 'payerSchoolName'
>;

const keyOf = (b: { childKey: string; benefit: string }) => `${b.childKey}\u0000${b.benefit}`;

/** The bindings after a run, from the ones it was given and its decisions. */
export function carryBindings(
  previous: Iterable<Binding>,
  decisions: Iterable<Pick<SubsidyDecision, keyof Binding | 'status'>>,
): Binding[] {
  const out = new Map<string, Binding>();
  for (const b of previous) out.set(keyOf(b), b);
  for (const d of decisions) {
    if (d.status === 'INELIGIBLE') out.delete(keyOf(d));
    if (d.status !== 'ELIGIBLE') continue;
    out.set(keyOf(d), {
      childKey: d.childKey,
      benefit: d.benefit,
      amountFen: d.amountFen,
      payerSchool: d.payerSchool,
      payerSchoolName: d.payerSchoolName,
    });
  }
  return [...out.values()];
}

/** Bindings as the engine's `previous`. */
export function asPrevious(bindings: Iterable<Binding>): PreviousDecision[] {
  return [...bindings].map((b) => ({ ...b, status: 'ELIGIBLE' as const }));
}
