/**
 * 学期 — the terms rosters and runs are filed under, written '2025-autumn' and '2026-spring'. Intake
 * files an upload under the term it was given (or the current one), and the comparison, subsidy and
 * attendance rule read the rosters of a term; they all count terms the same way.
 */

/** A term label: '2025-autumn', '2026-spring'. */
export const TERM_LABEL = /^\d{4}-(spring|autumn)$/;

/** The current term: autumn from August to January, spring from February to July. */
export function defaultPeriod(today: string): string {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  if (month >= 8) return `${year}-autumn`;
  if (month === 1) return `${year - 1}-autumn`;
  return `${year}-spring`;
}

/**
 * The term a roster.accepted event asks to recompute: the roster's own term, or — for a roster filed
 * under a day (attendance) — the term current on `today`.
 */
export function termOfRoster(period: string, today: string): string {
  return TERM_LABEL.test(period) ? period : defaultPeriod(today);
}
