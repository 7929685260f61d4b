/**
 * 测算汇总（按权限） — a run's totals as one caller may see them, with 元 beside every 分.
 *
 * A school sees its own figures (as paying school), a township its township and the schools in it, the
 * county and ops everything (docs/domain.md §7.3: each organisation sees only its own children). Amounts stay
 * integer 分; the 元 text comes from fenToYuan, never from dividing a float.
 */
import type { ScopeFilter } from '../../../shared/authz';
import type { BenefitTotal, SchoolTotal, TownshipTotal } from './determine';
import { fenToYuan } from './money';

/** What a run stores of its totals besides the per-school items. */
export interface RunTotals {
  byBenefit: BenefitTotal[];
  byTownship: TownshipTotal[];
  amountFen: number;
  heldFen: number;
}

const withYuan = <T extends { amountFen: number; heldFen: number }>(t: T) => ({
  ...t,
  amountYuan: fenToYuan(t.amountFen),
  heldYuan: fenToYuan(t.heldFen),
});

const benefitsWithYuan = (list: readonly BenefitTotal[]) => list.map(withYuan);

/** The schools (paying schools) a scope covers, from the run's per-school totals. */
export function schoolsInScope(schools: readonly SchoolTotal[], scope: ScopeFilter): SchoolTotal[] {
  switch (scope.kind) {
    case 'school':
      return schools.filter((s) => s.school === scope.school);
    case 'township':
      return schools.filter((s) => s.township === scope.township);
    case 'region':
      return [...schools];
    case 'none':
      return [];
  }
}

const emptyLike = (byBenefit: readonly BenefitTotal[]): BenefitTotal[] =>
  byBenefit.map((b) => ({ ...b, eligible: 0, amountFen: 0, held: 0, heldFen: 0, ineligible: 0 }));

/** The totals of a run in the caller's scope, in 分 and 元. */
export function totalsView(totals: RunTotals, schools: readonly SchoolTotal[], scope: ScopeFilter) {
  const visible = schoolsInScope(schools, scope);
  const bySchool = visible.map((s) => ({ ...withYuan(s), benefits: benefitsWithYuan(s.benefits) }));
  const byTownship = (
    scope.kind === 'region'
      ? totals.byTownship
      : scope.kind === 'township'
        ? totals.byTownship.filter((t) => t.township === scope.township)
        : []
  ).map((t) => ({ ...withYuan(t), benefits: benefitsWithYuan(t.benefits) }));

  let own: Pick<RunTotals, 'byBenefit' | 'amountFen' | 'heldFen'>;
  if (scope.kind === 'region') own = totals;
  else {
    // A school's or township's own figures are its row of the run's totals (zeros when it pays nothing).
    const row =
      scope.kind === 'school'
        ? visible[0]
        : scope.kind === 'township'
          ? totals.byTownship.find((t) => t.township === scope.township)
          : undefined;
    own = row
      ? { byBenefit: row.benefits, amountFen: row.amountFen, heldFen: row.heldFen }
      : { byBenefit: emptyLike(totals.byBenefit), amountFen: 0, heldFen: 0 };
  }
  return {
    ...withYuan({ amountFen: own.amountFen, heldFen: own.heldFen }),
    byBenefit: benefitsWithYuan(own.byBenefit),
    bySchool,
    byTownship,
  };
}
